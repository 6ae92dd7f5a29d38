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
    expect(first).to.include({ layouts: 2, batches: 6, records: 150 });
    // Acme: 3 lots + 1 rework; Nordhavn: 3 lots + 2 reworks.
    expect(first.lots).to.equal(9);

    const acme = (await Tenant.findOne({ code: 'acme' }).lean())!;
    const nord = (await Tenant.findOne({ code: 'nordhavn' }).lean())!;
    const acmeLots = await InspectionLot.find({ tenantId: acme._id }).sort({ closedAt: 1 }).lean();
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
    expect(states.map((b) => b.state)).to.deep.equal(['accepted', 'accepted', 'accepted']);

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
    expect(keyers).to.include.members(['Marco Operator', 'Sara Operator']);

    await seedDemo(ctx);
    expect(await counts()).to.deep.equal(first);
  });
});
