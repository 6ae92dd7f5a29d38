import { expect } from 'chai';
import { Types } from 'mongoose';
import type { UserDoc } from '../../../models/user.js';
import { AppError } from '../../../server/errors/app-error.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { keySecond } from '../../../server/domain/quality/key-second.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { settleDifferences } from '../../../server/domain/quality/settle-differences.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { t } from '../../../server/i18n/i18n.js';
import { applyLotToSwitching, switchingStateOf } from '../../../server/domain/quality/switching-store.js';
import type { LotOutcome } from '../../../server/domain/quality/switching.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * Issue #18 item 2, guards of the inspection: "a checker (never the person who keyed a record)"
 * holds for everyone who keyed it (with double keying: the second keyer, and a settler who typed
 * a value); "the rule to stop after repeated rejections on tightened inspection" stops the next
 * batch from being finished and inspected (ISO 2859-1 9.4); "a rejected lot goes back for full
 * rework": at least what the inspection found wrong is keyed again before it is resubmitted.
 */
describe('inspection guards: who may check, and no lot while inspection is stopped', function () {
  this.timeout(60_000);
  let world: World;
  let keyerB: UserDoc;
  const staff = (user: UserDoc) => ctxOf(user, null);
  async function refusal(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      if (err instanceof AppError) return `${err.code}:${err.messageKey}`;
      throw err;
    }
    return 'accepted';
  }
  async function layout(name: string, doubleKeyCritical: boolean) {
    return String(
      (
        await saveLayout(staff(world.users.teamLead), world.acme.id as string, {
          name,
          aql: { critical: 0.65, major: 1.0, minor: 2.5 },
          doubleKeyCritical,
          fields: [
            { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
            {
              key: 'amount',
              label: 'Amount',
              type: 'number',
              decimals: 2,
              required: true,
              class: 'critical',
            },
            { key: 'note', label: 'Note', type: 'text', maxLength: 20, class: 'minor' },
          ],
        })
      )._id,
    );
  }
  async function dataEntryTicket(layoutId: string) {
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    await startBatch(staff(world.users.operatorAcme), ticket.number, layoutId);
    return ticket;
  }
  const record = (i: number) => ({ supplier_vat: 'IT01234567897', amount: `${i}.50`, note: `row ${i}` });

  before(async () => {
    await connectTestDb('inspection-guards');
    world = await makeWorld();
    keyerB = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
  });
  after(dropAndDisconnect);

  it('refuses the second keyer and a settler who typed a value as checker; a settler who chose may check', async () => {
    const ticket = await dataEntryTicket(await layout('Checked twice', true));
    const a = staff(world.users.operatorAcme);
    const b = staff(keyerB);
    const chooser = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id] });
    const typist = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id] });
    for (const i of [1, 2, 3]) await keyRecord(a, ticket.number, { values: record(i) });
    await keySecond(b, ticket.number, { seq: 1, values: { supplier_vat: 'IT01234567897', amount: '1.50' } });
    await keySecond(b, ticket.number, { seq: 2, values: { supplier_vat: 'IT01234567897', amount: '22' } });
    await keySecond(b, ticket.number, { seq: 3, values: { supplier_vat: 'IT01234567897', amount: '33' } });
    await settleDifferences(staff(typist), ticket.number, {
      seq: 2,
      settle: [{ key: 'amount', choice: 'typed', value: '2.25' }],
    });
    await settleDifferences(staff(chooser), ticket.number, {
      seq: 3,
      settle: [{ key: 'amount', choice: 'first' }],
    });
    // Three records: the sample of the critical class (AQL 0.65) is the whole lot.
    const lot = await finishBatch(a, ticket.number);
    expect(lot.seqs).to.deep.equal([1, 2, 3]);
    const check = (who: UserDoc, seq: number) =>
      refusal(recordInspection(staff(who), ticket.number, { seq, wrongFields: [] }));
    expect(await check(world.users.operatorAcme, 1)).to.equal('forbidden:keying.errors.checker_is_keyer');
    expect(await check(keyerB, 1)).to.equal('forbidden:keying.errors.checker_is_keyer');
    expect(await check(keyerB, 2)).to.equal('forbidden:keying.errors.checker_is_keyer');
    expect(await check(typist, 2)).to.equal('forbidden:keying.errors.checker_is_keyer');
    // Also both of the second keyer's requests at once.
    expect(await Promise.all([check(keyerB, 3), check(keyerB, 1)])).to.deep.equal([
      'forbidden:keying.errors.checker_is_keyer',
      'forbidden:keying.errors.checker_is_keyer',
    ]);
    // Choosing one of the two keyings keys nothing: that settler checks; the typist checks another record.
    expect(await check(chooser, 3)).to.equal('accepted');
    expect(await check(typist, 1)).to.equal('accepted');
    expect(await check(world.users.teamLead, 2)).to.equal('accepted');
  });

  it('finishes no batch of a layout whose inspection was stopped after repeated rejections on tightened', async () => {
    const layoutId = await layout('Stopped', false);
    const ticket = await dataEntryTicket(layoutId);
    const a = staff(world.users.operatorAcme);
    await keyRecord(a, ticket.number, { values: record(1) });
    // Lots of this client and layout closed before: 2 rejected (tightened), then 5 rejected on tightened.
    const rejected: LotOutcome = { classes: [{ nonconforming: 5, accept: 3, acceptOneStepTighter: 2 }] };
    const tenantId = world.acme._id;
    const id = new Types.ObjectId(layoutId);
    for (let i = 0; i < 7; i++) await applyLotToSwitching(tenantId, id, new Types.ObjectId(), rejected);
    expect((await switchingStateOf(tenantId, id)).severity).to.equal('discontinued');
    expect(await refusal(finishBatch(a, ticket.number))).to.equal('conflict:keying.errors.discontinued');
    // Keying goes on meanwhile; only the lot waits for the corrective action.
    await keyRecord(a, ticket.number, { values: record(2) });
    expect(await refusal(finishBatch(a, ticket.number))).to.equal('conflict:keying.errors.discontinued');
  });

  it('finishes a rework round only once the records the rejected lot found wrong are keyed again', async () => {
    const ticket = await dataEntryTicket(await layout('Reworked', false));
    const a = staff(world.users.operatorAcme);
    const lead = staff(world.users.teamLead);
    for (let i = 1; i <= 10; i++) await keyRecord(a, ticket.number, { values: record(i) });
    const lot = await finishBatch(a, ticket.number);
    const [wrong, ...right] = lot.seqs;
    await recordInspection(lead, ticket.number, { seq: wrong!, wrongFields: ['supplier_vat'] });
    for (const seq of right) await recordInspection(lead, ticket.number, { seq, wrongFields: [] });
    expect((await closeLot(lead, ticket.number)).verdict).to.equal('rejected');
    // Straight back without correcting anything: refused, saying how many records wait.
    expect(await refusal(finishBatch(a, ticket.number))).to.equal('conflict:rework.pending');
    for (const lang of ['en', 'it', 'da'] as const) {
      expect(t(lang, 'rework.pending', { count: 1 }), lang).to.match(/^1 \S/);
      expect(t(lang, 'rework.pending', { count: 2 }), lang).not.to.equal(
        t(lang, 'rework.pending', { count: 1 }),
      );
    }
    // A record the inspection did not fault, keyed again, is not the one that waits.
    if (right[0] !== undefined)
      await keyRecord(a, ticket.number, { seq: right[0], values: record(right[0]) });
    expect(await refusal(finishBatch(a, ticket.number))).to.equal('conflict:rework.pending');
    await keyRecord(staff(keyerB), ticket.number, { seq: wrong!, values: record(wrong!) });
    const round2 = await finishBatch(a, ticket.number);
    expect(round2).to.deep.include({ round: 2, resubmitted: true, lotSize: 10 });
  });
});
