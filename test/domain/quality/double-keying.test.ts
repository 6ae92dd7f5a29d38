import { expect } from 'chai';
import type { Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import { KeyedRecord } from '../../../models/quality.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import type { UserDoc } from '../../../models/user.js';
import { auditRowView } from '../../../server/domain/reports/audit-view.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { differencesView, secondKeyingView } from '../../../server/domain/quality/double-keying-view.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { keySecond } from '../../../server/domain/quality/key-second.js';
import { keyingView } from '../../../server/domain/quality/keying-view.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { settleDifferences } from '../../../server/domain/quality/settle-differences.js';
import { timelineView } from '../../../server/domain/tickets/timeline-view.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import {
  dataEntryBatch,
  deliveryNote,
  deliveryNoteFields,
  refusal,
  saveTestLayout,
} from '../../support/keying.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue #18 item 3: critical fields keyed twice, blind, differences settled by a third person. */
describe('double keying of critical fields', function () {
  this.timeout(60_000);
  let world: World;
  let keyerB: UserDoc;
  let layoutId: string;
  before(async () => {
    await connectTestDb('double-keying');
    world = await makeWorld();
    keyerB = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const saved = await saveTestLayout(world, {
      name: 'Invoices twice',
      doubleKeyCritical: true,
      fields: deliveryNoteFields({ amountClass: 'critical' }),
    });
    expect(saved.doubleKeyCritical).to.equal(true);
    layoutId = String(saved._id);
  });
  after(dropAndDisconnect);

  const staff = (user: UserDoc) => ctxOf(user, null);
  const dataEntryTicket = () => dataEntryBatch(world, layoutId);
  const record = deliveryNote;
  const stored = async (ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId }, seq: number) =>
    KeyedRecord.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id, seq }).lean();

  it('refuses the first keyer as second keyer, also from two tabs at once, and keeps one second keying', async () => {
    const ticket = await dataEntryTicket();
    const a = staff(world.users.operatorAcme);
    await keyRecord(a, ticket.number, { values: record(1) });
    expect(
      await refusal(
        keySecond(a, ticket.number, { seq: 1, values: { supplier_vat: 'IT01234567897', amount: '1.5' } }),
      ),
    ).to.equal('forbidden:double.errors.second_is_first');
    // The first keyer's second tab changing the record while the other tab keys it a second time.
    const second = { supplier_vat: 'IT01234567897', amount: '1.50' };
    const tabs = await Promise.all([
      refusal(keySecond(a, ticket.number, { seq: 1, values: second })),
      refusal(keyRecord(a, ticket.number, { seq: 1, values: record(1) })),
    ]);
    expect(tabs[0]).to.equal('forbidden:double.errors.second_is_first');
    // Two other people at once: one second keying, the other refused.
    const both = await Promise.all([
      refusal(keySecond(staff(keyerB), ticket.number, { seq: 1, values: second })),
      refusal(keySecond(staff(world.users.operatorBoth), ticket.number, { seq: 1, values: second })),
    ]);
    expect(both.filter((r) => r === 'accepted')).to.have.length(1);
    expect(both.filter((r) => r !== 'accepted')[0]).to.match(
      /^conflict:double\.errors\.(already_second|record_changed)$/,
    );
    const row = await stored(ticket, 1);
    expect(row?.second?.by?.id ?? null).not.to.equal(null);
    expect(String(row?.second?.by?.id)).not.to.equal(String(world.users.operatorAcme._id));
    expect(row?.differences).to.deep.equal([]);
    expect(row?.unsettled).to.equal(0);
    // The second keyer never becomes the first: changing the record is refused to them.
    const secondKeyer =
      String(row?.second?.by?.id) === String(keyerB._id) ? keyerB : world.users.operatorBoth;
    expect(
      await refusal(keyRecord(staff(secondKeyer), ticket.number, { seq: 1, values: record(1) })),
    ).to.equal('forbidden:double.errors.second_keyer_edits');
  });

  it('keys blind, lists differences side by side, and has them settled by a third person only', async () => {
    const ticket = await dataEntryTicket();
    const a = staff(world.users.operatorAcme);
    const b = staff(keyerB);
    const lead = staff(world.users.teamLead);
    await keyRecord(a, ticket.number, { values: record(1) });
    await keyRecord(a, ticket.number, { values: record(2) });
    // The second keyer's screens carry no value of the first keying.
    const blind = await secondKeyingView(b, ticket.number);
    expect(blind.seq).to.equal(1);
    expect(blind.fields.map((f) => f.key)).to.deep.equal(['supplier_vat', 'amount']);
    expect(JSON.stringify(blind)).not.to.contain('IT01234567897');
    const seen = await keyingView(b, ticket.number);
    expect(JSON.stringify(seen.records)).not.to.contain('IT01234567897');
    expect(JSON.stringify(seen.records)).to.contain('row 2');
    expect(seen.double).to.deep.equal({ waiting: 2, unsettled: 0, canSettle: false });
    expect((await secondKeyingView(a, ticket.number)).seq).to.equal(null);

    expect(
      await keySecond(b, ticket.number, { seq: 1, values: { supplier_vat: 'DK12345674', amount: '1.5' } }),
    ).to.deep.equal({ seq: 1, differences: 1 });
    expect(
      await keySecond(b, ticket.number, { seq: 2, values: { supplier_vat: 'IT01234567897', amount: '22' } }),
    ).to.deep.equal({ seq: 2, differences: 1 });
    // The batch cannot be finished while differences are unsettled.
    expect(await refusal(finishBatch(a, ticket.number))).to.equal('conflict:double.errors.unsettled');

    const view = await differencesView(lead, ticket.number);
    expect(view.records.map((r) => ({ seq: r.seq, differences: r.differences }))).to.deep.equal([
      {
        seq: 1,
        differences: [
          { key: 'supplier_vat', label: 'Supplier VAT', first: 'IT01234567897', second: 'DK12345674' },
        ],
      },
      { seq: 2, differences: [{ key: 'amount', label: 'Amount', first: '2.5', second: '22' }] },
    ]);
    // Neither keyer settles, and operators lack the permission.
    expect(await refusal(differencesView(b, ticket.number))).to.equal('forbidden:errors.forbidden');
    const leadKeyed = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id] });
    await keyRecord(staff(leadKeyed), ticket.number, { values: record(3) });
    await keySecond(b, ticket.number, { seq: 3, values: { supplier_vat: 'IT01234567897', amount: '9' } });
    expect(
      await refusal(
        settleDifferences(staff(leadKeyed), ticket.number, {
          seq: 3,
          settle: [{ key: 'amount', choice: 'first' }],
        }),
      ),
    ).to.equal('forbidden:double.errors.settler_is_keyer');
    await settleDifferences(staff(world.users.admin), ticket.number, {
      seq: 3,
      settle: [{ key: 'amount', choice: 'first' }],
    });

    // A typed value is checked like a keyed one.
    expect(
      await refusal(
        settleDifferences(lead, ticket.number, {
          seq: 2,
          settle: [{ key: 'amount', choice: 'typed', value: 'x' }],
        }),
      ),
    ).to.equal('validation:values.amount=exact.number');
    expect(
      await settleDifferences(lead, ticket.number, {
        seq: 1,
        settle: [{ key: 'supplier_vat', choice: 'first' }],
      }),
    ).to.deep.equal({ seq: 1, unsettled: 0 });
    await settleDifferences(lead, ticket.number, {
      seq: 2,
      settle: [{ key: 'amount', choice: 'typed', value: '2.25' }],
    });
    expect(
      await refusal(
        settleDifferences(lead, ticket.number, { seq: 2, settle: [{ key: 'amount', choice: 'second' }] }),
      ),
    ).to.equal('conflict:double.errors.already_settled');
    const two = await stored(ticket, 2);
    expect((two?.values as Record<string, unknown>).amount).to.equal(2.25);
    // Who keyed what stays: both keyings and the choice, for accuracy per keyer.
    expect(two?.differences).to.have.length(1);
    expect(two?.differences[0]).to.deep.include({ key: 'amount', first: 2.5, second: 22 });
    expect((two?.differences[0] as { settled: { how: string; value: number } }).settled).to.deep.include({
      how: 'typed',
      value: 2.25,
    });
    expect((await differencesView(lead, ticket.number)).records).to.deep.equal([]);

    // Complete: the batch finishes; finished, judged and settled appear on the timeline.
    const lot = await finishBatch(a, ticket.number);
    // The lead typed record 2's amount: keyed by them, so someone else checks it.
    for (const seq of lot.seqs)
      await recordInspection(seq === 2 ? staff(world.users.admin) : lead, ticket.number, {
        seq,
        wrongFields: [],
      });
    await closeLot(lead, ticket.number);
    const entries = await TimelineEntry.find({
      tenantId: ticket.tenantId,
      ticketId: ticket._id,
      kind: 'keying',
    })
      .sort({ at: 1 })
      .lean();
    const lines = timelineView(entries, [], 'en', 'Europe/Rome').map((e) => e.summary?.lines[0]);
    expect(lines).to.deep.equal([
      'Record 3: 1 difference between its two keyings settled.',
      'Record 1: 1 difference between its two keyings settled.',
      'Record 2: 1 difference between its two keyings settled.',
      'Batch finished: 3 records, 3 drawn for inspection (round 1).',
      'Inspection lot of round 1 accepted.',
    ]);
    expect(entries.every((e) => e.visibility === 'internal')).to.equal(true);
  });

  it('keys a record twice again when its first keying changes a critical value', async () => {
    const ticket = await dataEntryTicket();
    const a = staff(world.users.operatorAcme);
    await keyRecord(a, ticket.number, { values: record(1) });
    await keySecond(staff(keyerB), ticket.number, {
      seq: 1,
      values: { supplier_vat: 'IT01234567897', amount: '1.5' },
    });
    await keyRecord(a, ticket.number, { seq: 1, values: { ...record(1), note: 'changed' } });
    expect((await stored(ticket, 1))?.second).to.not.equal(null);
    await keyRecord(a, ticket.number, { seq: 1, values: record(7) });
    expect((await stored(ticket, 1))?.second ?? null).to.equal(null);
    expect(await refusal(finishBatch(a, ticket.number))).to.equal('conflict:double.errors.unsettled');
  });

  it('writes the timeline entry of a settlement lost in a crash when the batch is finished, once', async () => {
    const ticket = await dataEntryTicket();
    const a = staff(world.users.operatorAcme);
    await keyRecord(a, ticket.number, { values: record(1) });
    await keySecond(staff(keyerB), ticket.number, {
      seq: 1,
      values: { supplier_vat: 'IT01234567897', amount: '9' },
    });
    await settleDifferences(staff(world.users.teamLead), ticket.number, {
      seq: 1,
      settle: [{ key: 'amount', choice: 'second' }],
    });
    const scope = { tenantId: ticket.tenantId, ticketId: ticket._id, kind: 'keying' as const };
    const written = await TimelineEntry.findOne(scope).lean();
    expect(written?.data).to.deep.include({ action: 'settled', seq: 1 });
    // The crash: the record is settled, its entry was never written.
    await TimelineEntry.deleteOne({ tenantId: ticket.tenantId, _id: written!._id });
    await finishBatch(a, ticket.number);
    await finishBatch(a, ticket.number);
    const entries = await TimelineEntry.find(scope).sort({ at: 1 }).lean();
    expect(entries.map((e) => (e.data as { action: string }).action)).to.deep.equal(['settled', 'finished']);
    expect(entries[0]?.at.getTime()).to.equal(written?.at.getTime());
  });

  it('audits the second keying and the settlement once, and a retry after a crash completes them', async () => {
    const ticket = await dataEntryTicket();
    const a = staff(world.users.operatorAcme);
    const b = staff(keyerB);
    const lead = staff(world.users.teamLead);
    await keyRecord(a, ticket.number, { values: record(1) });
    const second = { seq: 1, values: { supplier_vat: 'DK12345674', amount: '9' } };
    expect(await keySecond(b, ticket.number, second)).to.deep.equal({ seq: 1, differences: 2 });
    const audits = (action: string) =>
      AuditEvent.find({ tenantId: ticket.tenantId, targetId: ticket._id, action }).lean();
    const [keyed] = await audits('quality.second_keyed');
    expect(keyed?.details).to.deep.equal({ seq: 1, differences: 2, fields: ['supplier_vat', 'amount'] });
    expect(keyed?.actorEmail).to.equal(keyerB.email);
    expect(keyed?.targetLabel).to.equal(ticket.number);
    // The crash: the record has its second keying, its audit entry was never written.
    await AuditEvent.deleteOne({ tenantId: ticket.tenantId, _id: keyed!._id });
    // The same person sending the same keying again completes it; other values are refused.
    expect(await keySecond(b, ticket.number, second)).to.deep.equal({ seq: 1, differences: 2 });
    expect(await keySecond(b, ticket.number, second)).to.deep.equal({ seq: 1, differences: 2 });
    expect(
      await refusal(
        keySecond(b, ticket.number, { seq: 1, values: { supplier_vat: 'DK12345674', amount: '8' } }),
      ),
    ).to.equal('conflict:double.errors.already_second');
    expect(await audits('quality.second_keyed')).to.have.length(1);

    const vat = { seq: 1, settle: [{ key: 'supplier_vat', choice: 'first' as const }] };
    expect(await settleDifferences(lead, ticket.number, vat)).to.deep.equal({ seq: 1, unsettled: 1 });
    const amount = { seq: 1, settle: [{ key: 'amount', choice: 'second' as const }] };
    expect(await settleDifferences(lead, ticket.number, amount)).to.deep.equal({ seq: 1, unsettled: 0 });
    const settled = await audits('quality.differences_settled');
    expect(settled.map((e) => e.details)).to.have.deep.members([
      { seq: 1, fields: [{ key: 'supplier_vat', how: 'first' }], unsettled: 1 },
      { seq: 1, fields: [{ key: 'amount', how: 'second' }], unsettled: 0 },
    ]);
    // The crash after the last settlement's write: neither its audit nor its timeline entry.
    const last = settled.find((e) => (e.details as { unsettled: number }).unsettled === 0)!;
    await AuditEvent.deleteOne({ tenantId: ticket.tenantId, _id: last._id });
    await TimelineEntry.deleteMany({ tenantId: ticket.tenantId, ticketId: ticket._id, kind: 'keying' });
    const again = await Promise.all([
      settleDifferences(lead, ticket.number, amount),
      settleDifferences(lead, ticket.number, amount),
    ]);
    expect(again).to.deep.equal([
      { seq: 1, unsettled: 0 },
      { seq: 1, unsettled: 0 },
    ]);
    expect(await audits('quality.differences_settled')).to.have.length(2);
    const entries = await TimelineEntry.find({
      tenantId: ticket.tenantId,
      ticketId: ticket._id,
      kind: 'keying',
    }).lean();
    expect(entries.map((e) => (e.data as { action: string }).action)).to.deep.equal(['settled']);
    // Another choice for a settled field is still refused.
    expect(
      await refusal(
        settleDifferences(lead, ticket.number, { seq: 1, settle: [{ key: 'amount', choice: 'first' }] }),
      ),
    ).to.equal('conflict:double.errors.already_settled');
    // The audit page reads them in the reader's language.
    const rows = (await audits('quality.differences_settled')).map((e) => auditRowView(e, 'en'));
    expect(rows.map((r) => r.actionLabel)).to.deep.equal([
      'Differences between two keyings settled',
      'Differences between two keyings settled',
    ]);
    expect(rows.map((r) => r.detailsText)).to.have.members([
      'Record 1: 1 difference settled',
      'Record 1: 1 difference settled',
    ]);
    expect(auditRowView((await audits('quality.second_keyed'))[0]!, 'it').detailsText).to.equal(
      'Record 1: 2 campi differiscono dalla prima digitazione',
    );
  });

  it('keeps another client out of the records and their differences', async () => {
    const ticket = await dataEntryTicket();
    await keyRecord(staff(world.users.operatorAcme), ticket.number, { values: record(1) });
    const outsider = await makeUser({ role: 'operator', tenantIds: [world.nord.id] });
    const nordLead = await makeUser({ role: 'team_lead', tenantIds: [world.nord.id] });
    expect(
      await refusal(
        keySecond(staff(outsider), ticket.number, {
          seq: 1,
          values: { supplier_vat: 'DK12345674', amount: '1' },
        }),
      ),
    ).to.equal('not_found:errors.not_found');
    expect(await refusal(secondKeyingView(staff(outsider), ticket.number))).to.equal(
      'not_found:errors.not_found',
    );
    expect(await refusal(differencesView(staff(nordLead), ticket.number))).to.equal(
      'not_found:errors.not_found',
    );
    expect(
      await refusal(
        settleDifferences(staff(nordLead), ticket.number, {
          seq: 1,
          settle: [{ key: 'amount', choice: 'first' }],
        }),
      ),
    ).to.equal('not_found:errors.not_found');
  });
});
