import { expect } from 'chai';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import {
  InspectionLot,
  KeyedRecord,
  KeyingBatch,
  RecordLayoutModel,
  SwitchingStateModel,
} from '../../../models/quality.js';
import { Tenant } from '../../../models/tenant.js';
import { Ticket } from '../../../models/ticket.js';
import { systemCtx } from '../../../server/domain/context.js';
import { clientAccuracy } from '../../../server/domain/quality/client-accuracy.js';
import type { SwitchingState } from '../../../server/domain/quality/switching.js';
import { seedDemo } from '../../../server/seed/demo.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/**
 * The quality demo data (server/seed/demo-quality.ts): a layout per demo client, batches keyed
 * and inspected over the demo months, Acme's rejected lot and its rework, Nordhavn on tightened
 * inspection; seeding again changes nothing.
 */
describe('demo quality data', function () {
  this.timeout(300_000);
  const ctx = systemCtx(pino({ level: 'silent' }), 'seed');

  before(async () => {
    await connectTestDb('demo-quality');
  });
  after(async () => {
    await dropAndDisconnect();
  });

  const all = { allTenants: true };
  const counts = async () => ({
    layouts: await RecordLayoutModel.countDocuments({}).setOptions(all),
    batches: await KeyingBatch.countDocuments({}).setOptions(all),
    records: await KeyedRecord.countDocuments({}).setOptions(all),
    lots: await InspectionLot.countDocuments({}).setOptions(all),
    breaches: await AccuracyBreach.countDocuments({}).setOptions(all),
  });

  it('seeds the demo states through the domain, and a second seed changes nothing', async () => {
    await seedDemo(ctx);
    const first = await counts();
    expect(first).to.include({ layouts: 3, batches: 7, records: 160 });
    // Acme: 3 lots + 1 rework and the double-keyed batch's lot; Nordhavn: 3 lots + 2 reworks.
    expect(first.lots).to.equal(10);

    const acme = (await Tenant.findOne({ code: 'acme' }).lean())!;
    const nord = (await Tenant.findOne({ code: 'nordhavn' }).lean())!;
    const notes = await RecordLayoutModel.findOne({ tenantId: acme._id, name: 'Bolle di consegna' }).lean();
    const acmeLots = await InspectionLot.find({ tenantId: acme._id, layoutId: notes!._id })
      .sort({ closedAt: 1 })
      .lean();
    expect(acmeLots.map((l) => [l.round, l.verdict])).to.deep.equal([
      [1, 'accepted'],
      [1, 'rejected'],
      [2, 'accepted'],
      [1, 'accepted'],
    ]);
    // Over the demo months: the lots were closed in three different months of the client's zone.
    const months = new Set(
      acmeLots.map((l) => DateTime.fromJSDate(l.closedAt!, { zone: acme.timeZone }).toFormat('yyyy-MM')),
    );
    expect(months.size).to.equal(3);
    const states = await KeyingBatch.find({ tenantId: acme._id }).lean();
    expect(states.map((b) => b.state)).to.deep.equal(['accepted', 'accepted', 'accepted', 'accepted']);

    const switching = await SwitchingStateModel.findOne({ tenantId: nord._id }).lean();
    expect((switching?.state as SwitchingState).severity).to.equal('tightened');
    const nordLast = await InspectionLot.findOne({ tenantId: nord._id }).sort({ closedAt: -1 }).lean();
    expect(nordLast?.severity).to.equal('tightened');

    // Acme's rejected month is a recorded breach; the figures of the whole window show it.
    const rejectedMonth = DateTime.fromJSDate(acmeLots[1]!.closedAt!, { zone: acme.timeZone });
    const breaches = await AccuracyBreach.find({ tenantId: acme._id }).lean();
    expect(breaches.map((b) => b.period)).to.include(rejectedMonth.toFormat('yyyy-MM'));
    const figures = await clientAccuracy(
      String(acme._id),
      rejectedMonth.startOf('month').toJSDate(),
      rejectedMonth.endOf('month').toJSDate(),
    );
    expect(figures.layouts[0]).to.include({ name: 'Bolle di consegna', verdict: 'breach' });
    expect(figures.records).to.include({ reworked: 30, accepted: 30 });
    const keyers = figures.layouts[0]!.keyers.map((k) => k.keyer.name);
    expect(keyers).to.include.members(['Marco Esposito', 'Sara Lindholm']);

    await seedDemo(ctx);
    expect(await counts()).to.deep.equal(first);
  });

  it("names the batches' months in the client's language, as the other demo subjects do", async () => {
    for (const code of ['acme', 'nordhavn']) {
      const tenant = (await Tenant.findOne({ code }).lean())!;
      const batches = await KeyingBatch.find({ tenantId: tenant._id }).select({ ticketId: 1 }).lean();
      const tickets = await Ticket.find({
        tenantId: tenant._id,
        _id: { $in: batches.map((b) => b.ticketId) },
      })
        .select({ subject: 1, createdAt: 1 })
        .lean();
      expect(tickets, code).to.have.length(batches.length);
      for (const ticket of tickets) {
        const month = ticket.subject.replace(/^.*: /, '');
        const names = Array.from({ length: 12 }, (_, i) =>
          DateTime.fromObject({ month: i + 1 })
            .setLocale(tenant.locale)
            .toFormat('LLLL'),
        );
        // Italian and Danish months are lower case: English "November" is neither.
        expect(
          names.some((n) => month.startsWith(`${n} `)),
          ticket.subject,
        ).to.equal(true);
      }
    }
  });

  /** Acme's double-keyed layout, its batch and its records. */
  async function doubleKeyed() {
    const acme = (await Tenant.findOne({ code: 'acme' }).lean())!;
    const layout = (await RecordLayoutModel.findOne({ tenantId: acme._id, doubleKeyCritical: true }).lean())!;
    const batch = await KeyingBatch.findOne({ tenantId: acme._id, layoutId: layout._id }).lean();
    const records = batch
      ? await KeyedRecord.find({ tenantId: acme._id, ticketId: batch.ticketId }).sort({ seq: 1 }).lean()
      : [];
    return { acme, layout, batch, records };
  }

  it('seeds a double-keyed batch keyed twice with its differences settled by a third person', async () => {
    const { layout, batch, records } = await doubleKeyed();
    expect(layout.name).to.equal('Fatture passive (doppia digitazione)');
    expect(batch?.state).to.equal('accepted');
    expect(records).to.have.length(10);
    expect(records.every((r) => r.second && r.unsettled === 0)).to.equal(true);
    const settled = records.filter((r) => r.differences.length > 0);
    expect(settled.map((r) => r.seq)).to.deep.equal([3, 7]);
    for (const r of settled) {
      const [d] = r.differences as Array<{ key: string; settled: { how: string; by: { name: string } } }>;
      expect(d).to.deep.include({ key: 'total' });
      expect(d!.settled.how).to.equal('first');
      expect([r.keyedBy.name, r.second!.by!.name]).to.not.include(d!.settled.by.name);
    }
  });

  it('finishes what a killed seed left of a client and never makes anything twice', async () => {
    const before = await doubleKeyed();
    const tickets = () => Ticket.countDocuments({ tenantId: before.acme._id });
    const ticketCount = await tickets();
    const scope = { tenantId: before.acme._id, ticketId: before.batch!.ticketId };
    // Killed between the ticket and its batch: the ticket stays, nothing else of the batch.
    await KeyedRecord.deleteMany(scope);
    await InspectionLot.deleteMany(scope);
    await KeyingBatch.deleteOne(scope);
    await seedDemo(ctx);
    let now = await doubleKeyed();
    expect(await tickets()).to.equal(ticketCount);
    expect(String(now.batch?.ticketId)).to.equal(String(before.batch!.ticketId));
    expect(now.batch?.state).to.equal('accepted');
    expect(now.records).to.have.length(10);
    expect(now.records.filter((r) => r.differences.length > 0).map((r) => r.seq)).to.deep.equal([3, 7]);

    // Killed while keying: two records not keyed yet, record 7 not keyed a second time, no lot drawn.
    await KeyedRecord.deleteMany({ ...scope, seq: { $in: [9, 10] } });
    await KeyedRecord.updateOne(
      { ...scope, seq: 7 },
      { $set: { second: null, differences: [], unsettled: 0 } },
    );
    await InspectionLot.deleteMany(scope);
    await KeyingBatch.updateOne(scope, { $set: { state: 'keying' } });
    const lotsBefore = await InspectionLot.countDocuments({}).setOptions(all);
    await seedDemo(ctx);
    now = await doubleKeyed();
    expect(now.batch?.state).to.equal('accepted');
    expect(now.records).to.have.length(10);
    expect(now.records.every((r) => r.second && r.unsettled === 0)).to.equal(true);
    expect(now.records.find((r) => r.seq === 7)?.differences).to.have.length(1);
    expect(await InspectionLot.countDocuments({}).setOptions(all)).to.equal(lotsBefore + 1);
    expect(await tickets()).to.equal(ticketCount);
  });
});
