import { expect } from 'chai';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { keySecond } from '../../../server/domain/quality/key-second.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** A calendar day as a reader of that language reads it (the pages' medium date style). */
const dayIn = (intl: string) =>
  new Intl.DateTimeFormat(intl, { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(2026, 2, 5, 12));

/**
 * Keyed records are shown as their readers key them: a number field's value in the reader's
 * number format (with the field's decimals), a date field's in their date format, on the keying,
 * inspection and differences pages (found by the outside test: "1087.5" and "2026-03-05" on
 * Italian and Danish pages).
 */
describe('keyed values in the reader’s formats', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('http-keyed-values-locale');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  async function batchOn(layoutName: string, doubleKeyCritical: boolean) {
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), String(world.acme.id), {
      name: layoutName,
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      doubleKeyCritical,
      fields: [
        { key: 'ref', label: 'Reference', type: 'text' },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2, class: 'critical' },
        { key: 'on', label: 'Delivered on', type: 'date' },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    return { number: ticket.number, layoutId: String(layout._id) };
  }

  it('shows keyed numbers and dates in Italian and Danish on the keying, differences and inspection pages', async () => {
    const keyerIt = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const secondIt = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const leadDa = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'da' });

    // Double keyed: the keying page (Italian) and the differences page (Danish).
    const twice = await batchOn('Twice', true);
    await startBatch(ctxOf(keyerIt, null), twice.number, twice.layoutId);
    // Keyed in Italian, as the keying screen takes it (Italian groups thousands from five digits on).
    await keyRecord(ctxOf(keyerIt, null), twice.number, {
      values: { ref: 'R-1', amount: '1.087,5', on: '05/03/2026' },
    });
    await keySecond(ctxOf(secondIt, null), twice.number, { seq: 1, values: { amount: '1.087,6' } });

    const keying = textOf(
      (await (await signedInAgent(tp.url, keyerIt.email)).get(`/tickets/${twice.number}/keying`).expect(200))
        .text,
    );
    expect(keying).to.contain(`R-1 1087,50 ${dayIn('it-IT')}`);
    expect(keying).not.to.contain('1087.5');
    expect(keying).not.to.contain('2026-03-05');

    const lead = await signedInAgent(tp.url, leadDa.email);
    const differences = (await lead.get(`/tickets/${twice.number}/differences`).expect(200)).text;
    expect(textOf(/data-testid="first-amount">([^<]*)</.exec(differences)?.[1] ?? '')).to.equal('1.087,50');
    expect(textOf(/data-testid="second-amount">([^<]*)</.exec(differences)?.[1] ?? '')).to.equal('1.087,60');

    // Keyed once, finished: the inspection page (Danish) shows the sampled record the same way.
    const once = await batchOn('Once', false);
    await startBatch(ctxOf(keyerIt, null), once.number, once.layoutId);
    for (const amount of ['1.087,5', '12'])
      await keyRecord(ctxOf(keyerIt, null), once.number, {
        values: { ref: 'R-2', amount, on: '05/03/2026' },
      });
    await finishBatch(ctxOf(keyerIt, null), once.number);
    const inspection = textOf((await lead.get(`/tickets/${once.number}/inspection`).expect(200)).text);
    expect(inspection).to.contain(`Amount: 1.087,50 Delivered on: ${dayIn('da-DK')}`);
    expect(inspection).to.contain('Amount: 12,00');
    expect(inspection).not.to.contain('1087.5');
  });
});
