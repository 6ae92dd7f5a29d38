import { expect } from 'chai';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { systemCtx } from '../../../server/domain/context.js';
import { firstWorkingDay, queueMonthlyReports } from '../../../server/domain/reports/monthly.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

describe('monthly SLA reports (reports.monthly)', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  const ctx = systemCtx(pino({ level: 'silent' }), 'test');

  before(async () => {
    tp = await startTestPortal('reports-monthly');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('finds the first Monday-to-Friday day of a month', () => {
    const day = (iso: string) => firstWorkingDay(DateTime.fromISO(iso, { zone: 'Europe/Rome' })).toISODate();
    expect(day('2025-03-20')).to.equal('2025-03-03'); // 1 March 2025 is a Saturday
    expect(day('2025-05-31')).to.equal('2025-05-01');
    expect(day('2025-11-15')).to.equal('2025-11-03');
  });

  it('queues one mail per (account manager, client, month) from the first working day, once', async () => {
    const italian = await makeUser({ role: 'account_manager', tenantIds: [world.acme._id], locale: 'it' });
    // Saturday 1 March 2025: not a working day, nothing yet.
    expect(await queueMonthlyReports(ctx, new Date('2025-03-01T10:00:00Z'))).to.equal(0);
    // Monday 3 March: the world's manager serves Acme and Nordhavn, the Italian one Acme.
    const monday = new Date('2025-03-03T08:00:00Z');
    expect(await queueMonthlyReports(ctx, monday)).to.equal(3);
    expect(await queueMonthlyReports(ctx, monday)).to.equal(0);
    expect(await queueMonthlyReports(ctx, new Date('2025-03-20T08:00:00Z'))).to.equal(0);
    const mails = await OutboxMail.find({ template: 'sla_report' }).setOptions({ allTenants: true }).lean();
    expect(mails.map((m) => m.key).sort()).to.deep.equal(
      [
        `report:${String(world.acme._id)}:2025-02:${world.users.accountManager.email}`,
        `report:${String(world.nord._id)}:2025-02:${world.users.accountManager.email}`,
        `report:${String(world.acme._id)}:2025-02:${italian.email}`,
      ].sort(),
    );
    const toItalian = mails.find((m) => m.to === italian.email);
    expect(toItalian?.locale).to.equal('it');
    expect(toItalian?.params).to.include({ client: world.acme.legalName, period: '2025-02' });
    expect(String((toItalian?.params as Record<string, string>).link)).to.include(
      `/reports/${String(world.acme._id)}?from=2025-02-01&to=2025-03-01`,
    );
    // Next month: new keys.
    expect(await queueMonthlyReports(ctx, new Date('2025-04-01T08:00:00Z'))).to.equal(3);
  });
});
