import { expect } from 'chai';
import { KeyedRecord, RecordLayoutModel } from '../../../models/quality.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { postForm, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue #18 item 3 through the pages: the layout option, the blind second keying, the differences page. */
describe('double keying pages', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let first: Agent;
  let second: Agent;
  let lead: Agent;
  let number: string;

  before(async () => {
    tp = await startTestPortal('http-double-keying');
    world = await makeWorld();
    const keyerB = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    first = await signedInAgent(tp.url, world.users.operatorAcme.email);
    second = await signedInAgent(tp.url, keyerB.email, PASSWORD);
    lead = await signedInAgent(tp.url, world.users.teamLead.email);
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    number = ticket.number;
  });
  after(async () => {
    await tp?.stop();
  });

  const page = (agent: Agent, path: string) => agent.get(path).expect(200);

  it('saves the double keying option in the layout form', async () => {
    const form = {
      tenantId: String(world.acme.id),
      name: 'Twice',
      inspectionLevel: 'II',
      'aql.critical': '0.65',
      'aql.major': '1',
      'aql.minor': '2.5',
      doubleKeyCritical: 'true',
      fieldsText:
        'vat; Supplier VAT; vat; required; critical\ntotal; Total; number; required; critical; 2 0..',
    };
    const made = await postForm(lead, '/layouts/new', '/layouts', form);
    expect(made.status).to.equal(302);
    const edit = await page(lead, made.headers.location as string);
    expect(edit.text).to.match(/name="doubleKeyCritical" value="true" checked/);
    expect(edit.text).to.contain('Double keying for critical fields');
    const layout = await RecordLayoutModel.findOne({ tenantId: world.acme._id, name: 'Twice' }).lean();
    expect(layout?.doubleKeyCritical).to.equal(true);
    await startBatch(ctxOf(world.users.operatorAcme, null), number, String(layout!._id));
  });

  it('takes the second keying blind, lists the differences and lets a third person settle them', async () => {
    const keying = `/tickets/${number}/keying`;
    const secondPath = `${keying}/second`;
    const differences = `/tickets/${number}/differences`;
    for (const total of ['10.50', '20.00']) {
      const res = await postForm(first, keying, `${keying}/records`, {
        'values.vat': 'IT01234567897',
        'values.total': total,
      });
      expect(res.status).to.equal(302);
    }
    // The second keyer sees no value of the first keying, neither on the keying page nor the second.
    const seen = await page(second, keying);
    expect(seen.text).not.to.contain('IT01234567897');
    expect(seen.text).to.contain('2 records await their second keying.');
    const blind = await page(second, secondPath);
    expect(blind.text).to.contain('Record 1: key its critical fields from the source.');
    expect(blind.text).not.to.contain('IT01234567897');
    expect(blind.text).not.to.contain('10.5');
    // The export would show them: refused until every record is keyed twice.
    const exported = await second.get(`${keying}/export.csv`);
    expect(exported.status).to.equal(302);
    expect((await page(second, keying)).text).to.contain('2 records await their second keying: the records');
    // The first keyer has nothing to key a second time.
    expect((await page(first, secondPath)).text).to.contain('data-testid="second-none"');
    const own = await postForm(first, keying, secondPath, {
      seq: '1',
      'values.vat': 'IT01234567897',
      'values.total': '10.5',
    });
    expect(own.status).to.equal(302);
    expect((await page(first, keying)).text).to.contain(
      'You keyed this record: another person must key it the second time.',
    );

    const bad = await postForm(second, secondPath, secondPath, {
      seq: '1',
      'values.vat': 'DK12345675',
      'values.total': '10.5',
    });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('value="DK12345675"');
    expect(bad.text).not.to.contain('IT01234567897');
    expect(
      (
        await postForm(second, secondPath, secondPath, {
          seq: '1',
          'values.vat': 'DK12345674',
          'values.total': '10.5',
        })
      ).status,
    ).to.equal(302);
    const next = await page(second, secondPath);
    expect(next.text).to.contain('Second keying of record 1 saved.');
    expect(next.text).to.contain('Record 2: key its critical fields');
    expect(
      (
        await postForm(second, secondPath, secondPath, {
          seq: '2',
          'values.vat': 'IT01234567897',
          'values.total': '20',
        })
      ).status,
    ).to.equal(302);

    // Unsettled: the batch is not finished.
    await postForm(first, keying, `${keying}/finish`, {});
    expect((await page(first, keying)).text).to.contain(
      '1 record still needs its second keying or has differences to settle.',
    );

    // Operators do not settle; the team lead sees both keyings side by side.
    expect((await second.get(differences)).status).to.equal(403);
    const list = await page(lead, differences);
    expect(list.text).to.contain('data-testid="differences-1"');
    expect(list.text).not.to.contain('data-testid="differences-2"');
    expect(list.text).to.contain('<span data-testid="first-vat">IT01234567897</span>');
    expect(list.text).to.contain('<span data-testid="second-vat">DK12345674</span>');
    const none = await postForm(lead, differences, differences, { seq: '1' });
    expect(none.status).to.equal(422);
    expect(none.text).to.contain('Choose a value.');
    const typedBad = await postForm(lead, differences, differences, {
      seq: '1',
      'choice.vat': 'typed',
      'typed.vat': 'DK12345675',
    });
    expect(typedBad.status).to.equal(422);
    const settled = await postForm(lead, differences, differences, {
      seq: '1',
      'choice.vat': 'typed',
      'typed.vat': 'DK 12345674',
    });
    expect(settled.status).to.equal(302);
    const after = await page(lead, differences);
    expect(after.text).to.contain('Differences of record 1 settled.');
    expect(after.text).to.contain('data-testid="differences-none"');
    const row = await KeyedRecord.findOne({ seq: 1, ticketId: { $exists: true }, tenantId: world.acme._id })
      .sort({ keyedAt: -1 })
      .lean();
    expect((row?.values as Record<string, unknown>).vat).to.equal('DK12345674');

    const finished = await postForm(first, keying, `${keying}/finish`, {});
    expect(finished.headers.location).to.equal(`/tickets/${number}/inspection`);
    const ticketPage = await page(lead, `/tickets/${number}`);
    expect(ticketPage.text).to.contain('Record 1: 1 difference between its two keyings settled.');
    expect(ticketPage.text).to.contain('Batch finished: 2 records');
  });
});
