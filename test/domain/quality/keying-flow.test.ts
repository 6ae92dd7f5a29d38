import { expect } from 'chai';
import { AuditEvent } from '../../../models/audit-event.js';
import { InspectionLot, KeyedRecord, KeyingBatch, SwitchingStateModel } from '../../../models/quality.js';
import type { UserDoc } from '../../../models/user.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { drawSample } from '../../../server/domain/quality/draw-sample.js';
import { exportRecordsText } from '../../../server/domain/quality/export-records.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { importRecords } from '../../../server/domain/quality/import-records.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import type { SwitchingState } from '../../../server/domain/quality/switching.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { dataEntryBatch, deliveryNote, deliveryNotesLayout, refusal } from '../../support/keying.js';
import { complaintInput, ctxOf } from '../../support/tickets.js';

/** Issue #18, items 1 and 2: records stored per ticket, finished, sampled, inspected, reworked. */
describe('keying and inspection of records', function () {
  this.timeout(60_000);
  let world: World;
  let keyer2: UserDoc;
  let layoutId: string;
  before(async () => {
    await connectTestDb('keying-flow');
    world = await makeWorld();
    keyer2 = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const saved = await saveLayout(staff(world.users.teamLead), world.acme.id as string, layoutInput());
    layoutId = String(saved._id);
  });
  after(dropAndDisconnect);

  const staff = (user: UserDoc) => ctxOf(user, null);
  const layoutInput = deliveryNotesLayout;
  const dataEntryTicket = () => dataEntryBatch(world, layoutId);
  const record = deliveryNote;

  it('refuses a wrong layout field by field, and layouts to those without the permission', async () => {
    const lead = staff(world.users.teamLead);
    const acme = world.acme.id as string;
    expect(
      await refusal(
        saveLayout(
          lead,
          acme,
          layoutInput({
            name: 'Bad',
            fields: [
              { key: 'a', label: 'A', type: 'text' },
              { key: 'a', label: 'A again', type: 'text' },
              { key: 'Bad key', label: 'B', type: 'number' },
            ],
          }),
        ),
      ),
    ).to.equal('validation:fields.2.key=quality.layout.field_key,fields.1.key=quality.layout.duplicate_key');
    expect(
      await refusal(saveLayout(lead, acme, layoutInput({ aql: { critical: 0.7, major: 1, minor: 2.5 } }))),
    ).to.match(/^validation:aql\.critical=quality\.layout\.aql/);
    expect(await refusal(saveLayout(lead, acme, layoutInput()))).to.equal(
      'duplicate:name=keying.errors.layout_name_taken',
    );
    expect(
      await refusal(saveLayout(staff(world.users.operatorAcme), acme, layoutInput({ name: 'X' }))),
    ).to.equal('forbidden:errors.forbidden');
    expect(
      await refusal(saveLayout(ctxOf(world.users.acmeAdmin, world.acme), acme, layoutInput({ name: 'Y' }))),
    ).to.equal('forbidden:errors.forbidden');
    const audits = await AuditEvent.find({ action: 'quality.layout_saved', targetId: layoutId })
      .setOptions({ allTenants: true })
      .lean();
    expect(audits).to.have.length(1);
  });

  it('changes a layout only on the version it was read at', async () => {
    const lead = staff(world.users.teamLead);
    const acme = world.acme.id as string;
    const made = await saveLayout(lead, acme, layoutInput({ name: 'Versioned' }));
    const changed = await saveLayout(lead, acme, layoutInput({ name: 'Versioned 2' }), {
      id: String(made._id),
      version: 1,
    });
    expect(changed.version).to.equal(2);
    expect(
      await refusal(
        saveLayout(lead, acme, layoutInput({ name: 'Versioned 3' }), { id: String(made._id), version: 1 }),
      ),
    ).to.equal('conflict:keying.errors.layout_changed');
  });

  it('keys records validated against the layout, stored normalised with the keyer', async () => {
    const ticket = await dataEntryTicket();
    const op = staff(world.users.operatorAcme);
    expect(
      await refusal(
        keyRecord(op, ticket.number, {
          values: { supplier_vat: 'IT01234567890', amount: '1.234', note: '' },
        }),
      ),
    ).to.equal('validation:values.supplier_vat=exact.vat.it_check,values.amount=quality.field.decimals');
    const first = await keyRecord(op, ticket.number, {
      values: { supplier_vat: 'it 01234567897', amount: '1,234.5', note: '' },
    });
    expect(first.seq).to.equal(1);
    expect(first.values).to.deep.equal({ supplier_vat: 'IT01234567897', amount: 1234.5, note: null });
    expect(String(first.keyedBy.id)).to.equal(String(world.users.operatorAcme._id));
    const second = await keyRecord(op, ticket.number, { values: record(2) });
    expect(second.seq).to.equal(2);
    const changed = await keyRecord(staff(keyer2), ticket.number, { seq: 1, values: record(1) });
    expect(changed.values).to.deep.include({ amount: 1.5 });
    expect(String(changed.keyedBy.id)).to.equal(String(keyer2._id));
    // Not a data-entry ticket; another tenant's staff do not see the ticket.
    const complaint = await createTicket(ctxOf(world.users.acmeUser, world.acme), complaintInput(), 'portal');
    expect(await refusal(startBatch(op, complaint.number, layoutId))).to.equal(
      'bad_request:keying.errors.not_data_entry',
    );
    const outsider = await makeUser({ role: 'operator', tenantIds: [world.nord.id] });
    expect(await refusal(keyRecord(staff(outsider), ticket.number, { values: record(3) }))).to.equal(
      'not_found:errors.not_found',
    );
  });

  it('imports a CSV only when every row is right, reporting each bad row, and exports in layout order', async () => {
    const ticket = await dataEntryTicket();
    const op = staff(world.users.operatorAcme);
    const bad = [
      'Note;amount;supplier_vat',
      'ok;1.00;IT01234567897',
      'ok;x;IT01234567897',
      ';2.00;DK12345675',
    ].join('\n');
    const report = await importRecords(op, ticket.number, bad);
    expect(report.imported).to.equal(0);
    expect(report.errors.map((e) => `${e.row}:${e.field}:${e.key}`)).to.deep.equal([
      '3:amount:exact.number',
      '4:supplier_vat:exact.vat.dk_check',
    ]);
    expect(await KeyedRecord.countDocuments({ tenantId: ticket.tenantId, ticketId: ticket._id })).to.equal(0);
    const good = ['Note,amount,supplier_vat', '"first, with comma",1.00,IT01234567897', ',2,DK12345674'].join(
      '\r\n',
    );
    expect(await importRecords(op, ticket.number, good)).to.deep.equal({ imported: 2, errors: [] });
    await keyRecord(op, ticket.number, { values: record(3) });
    expect(await exportRecordsText(op, ticket.number)).to.equal(
      [
        'supplier_vat,amount,note',
        'IT01234567897,1,"first, with comma"',
        'DK12345674,2,',
        'IT01234567897,3.5,row 3',
        '',
      ].join('\r\n'),
    );
  });

  it('finishes a batch once under two concurrent calls, with a repeatable seeded draw', async () => {
    const ticket = await dataEntryTicket();
    const op = staff(world.users.operatorAcme);
    for (let i = 1; i <= 30; i++) await keyRecord(op, ticket.number, { values: record(i) });
    const [a, b] = await Promise.all([
      finishBatch(op, ticket.number),
      finishBatch(staff(keyer2), ticket.number),
    ]);
    expect(String(a._id)).to.equal(String(b._id));
    expect(await InspectionLot.countDocuments({ tenantId: ticket.tenantId, ticketId: ticket._id })).to.equal(
      1,
    );
    expect(a.lotSize).to.equal(30);
    expect(a.severity).to.equal('normal');
    expect(a.indices).to.have.length((a.plans as { sampleSize: number }).sampleSize);
    const again = drawSample({ lotSize: a.lotSize, sampleSize: a.indices.length, seed: a.seed });
    expect(again.indices).to.deep.equal(a.indices);
    expect(a.seqs).to.deep.equal(a.indices.map((i) => i + 1));
    // Finished: no record joins the lot any more; finishing again returns the same lot.
    expect(await refusal(keyRecord(op, ticket.number, { values: record(31) }))).to.equal(
      'conflict:keying.errors.batch_closed',
    );
    expect(String((await finishBatch(op, ticket.number))._id)).to.equal(String(a._id));
  });

  it('never lets the keyer check a record; a rejected lot is reworked and inspected again', async () => {
    const ticket = await dataEntryTicket();
    const op = staff(world.users.operatorAcme);
    const lead = staff(world.users.teamLead);
    for (let i = 1; i <= 20; i++) await keyRecord(op, ticket.number, { values: record(i) });
    const lot = await finishBatch(op, ticket.number);
    const [first, ...rest] = lot.seqs;
    expect(await refusal(recordInspection(op, ticket.number, { seq: first!, wrongFields: [] }))).to.equal(
      'forbidden:keying.errors.checker_is_keyer',
    );
    // Also when the keyer sends both of their requests at once.
    const both = await Promise.all([
      refusal(recordInspection(op, ticket.number, { seq: first!, wrongFields: [] })),
      refusal(recordInspection(op, ticket.number, { seq: rest[0]!, wrongFields: [] })),
    ]);
    expect(both).to.deep.equal([
      'forbidden:keying.errors.checker_is_keyer',
      'forbidden:keying.errors.checker_is_keyer',
    ]);
    const notSampled = [...Array(20).keys()].map((i) => i + 1).find((s) => !lot.seqs.includes(s));
    if (notSampled !== undefined)
      expect(
        await refusal(recordInspection(lead, ticket.number, { seq: notSampled, wrongFields: [] })),
      ).to.equal('validation:seq=keying.errors.not_sampled');
    await recordInspection(lead, ticket.number, { seq: first!, wrongFields: ['supplier_vat', 'note'] });
    expect(await refusal(closeLot(lead, ticket.number))).to.equal('conflict:keying.errors.sample_incomplete');
    for (const seq of rest)
      await recordInspection(lead, ticket.number, { seq, wrongFields: ['supplier_vat'] });
    const closed = await closeLot(lead, ticket.number);
    expect(closed.verdict).to.equal('rejected');
    expect(closed.byClass.critical?.nonconforming).to.be.greaterThan(0);
    const stored = await InspectionLot.findById(lot._id).setOptions({ allTenants: true }).lean();
    expect(stored?.errorsByField).to.deep.include({ supplier_vat: lot.seqs.length, note: 1 });
    let batch = await KeyingBatch.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id }).lean();
    expect(batch).to.deep.include({ state: 'rework', round: 2 });
    // The switching state of (client, layout) is stored and moved once, even if closing is repeated.
    const switching = await SwitchingStateModel.findOne({
      tenantId: ticket.tenantId,
      layoutId: lot.layoutId,
    }).lean();
    expect((switching?.state as SwitchingState).recentNormal).to.deep.equal([false]);
    expect(await refusal(closeLot(lead, ticket.number))).to.equal('conflict:keying.errors.no_open_lot');

    // Rework: records changed by someone else, then the batch is finished again: a new round's lot.
    for (const seq of lot.seqs) await keyRecord(staff(keyer2), ticket.number, { seq, values: record(seq) });
    const round2 = await finishBatch(op, ticket.number);
    expect(round2).to.deep.include({ round: 2, resubmitted: true, lotSize: 20 });
    expect(String(round2._id)).not.to.equal(String(lot._id));
    for (const seq of round2.seqs) await recordInspection(lead, ticket.number, { seq, wrongFields: [] });
    expect((await closeLot(lead, ticket.number)).verdict).to.equal('accepted');
    batch = await KeyingBatch.findOne({ tenantId: ticket.tenantId, ticketId: ticket._id }).lean();
    expect(batch).to.deep.include({ state: 'accepted', round: 2 });
    // A resubmitted lot is not counted by the switching rules (ISO 2859-1 9.3.1).
    const after = await SwitchingStateModel.findOne({
      tenantId: ticket.tenantId,
      layoutId: lot.layoutId,
    }).lean();
    expect((after?.state as SwitchingState).recentNormal).to.deep.equal([false]);
    expect(after?.appliedLots.map(String)).to.include.members([String(lot._id), String(round2._id)]);
    const actions = await AuditEvent.find({ targetId: ticket._id, action: /^quality\./ })
      .setOptions({ allTenants: true })
      .sort({ at: 1 })
      .lean();
    expect(actions.map((a) => a.action)).to.deep.equal(['quality.lot_rejected', 'quality.lot_accepted']);
  });

  it('moves the layout to tightened inspection after two rejected lots out of five', async () => {
    const op = staff(world.users.operatorAcme);
    const lead = staff(world.users.teamLead);
    const saved = await saveLayout(lead, world.acme.id as string, layoutInput({ name: 'Switching' }));
    for (let n = 0; n < 2; n++) {
      const ticket = await dataEntryBatch(world, saved._id);
      for (let i = 1; i <= 10; i++) await keyRecord(op, ticket.number, { values: record(i) });
      const lot = await finishBatch(op, ticket.number);
      expect(lot.severity).to.equal('normal');
      for (const seq of lot.seqs)
        await recordInspection(lead, ticket.number, { seq, wrongFields: ['supplier_vat'] });
      await closeLot(lead, ticket.number);
    }
    const state = await SwitchingStateModel.findOne({ tenantId: world.acme._id, layoutId: saved._id }).lean();
    expect((state?.state as SwitchingState).severity).to.equal('tightened');
    const ticket = await dataEntryBatch(world, saved._id);
    await keyRecord(op, ticket.number, { values: record(1) });
    expect((await finishBatch(op, ticket.number)).severity).to.equal('tightened');
  });

  it('completes a finish and a close interrupted between their writes', async () => {
    const op = staff(world.users.operatorAcme);
    const lead = staff(world.users.teamLead);
    const saved = await saveLayout(lead, world.acme.id as string, layoutInput({ name: 'Crashes' }));
    const ticket = await dataEntryBatch(world, saved._id);
    for (let i = 1; i <= 8; i++) await keyRecord(op, ticket.number, { values: record(i) });
    const where = { tenantId: ticket.tenantId, ticketId: ticket._id };
    // A crash after the batch was closed to keying, before its lot was written.
    await KeyingBatch.updateOne(where, { $set: { state: 'inspecting' } });
    const lot = await finishBatch(op, ticket.number);
    expect(lot).to.deep.include({ round: 1, lotSize: 8 });
    for (const seq of lot.seqs) await recordInspection(lead, ticket.number, { seq, wrongFields: [] });
    // A crash after the verdict was written, before the switching state and the batch moved.
    await InspectionLot.updateOne(
      { _id: lot._id, tenantId: ticket.tenantId },
      { $set: { verdict: 'accepted' } },
    );
    const closed = await closeLot(lead, ticket.number);
    expect(closed.verdict).to.equal('accepted');
    expect((await KeyingBatch.findOne(where).lean())?.state).to.equal('accepted');
    const switching = await SwitchingStateModel.findOne({
      tenantId: ticket.tenantId,
      layoutId: saved._id,
    }).lean();
    expect((switching?.state as SwitchingState).recentNormal).to.deep.equal([true]);
    expect(switching?.appliedLots.map(String)).to.deep.equal([String(lot._id)]);
  });
});
