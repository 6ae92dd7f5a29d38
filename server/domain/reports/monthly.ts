import { DateTime } from 'luxon';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { formatNumber } from '../../i18n/format.js';
import { isLocale, t } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { enqueueMail, isMailQueued } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { lastMonth } from './report-period.js';
import { trafficLight } from './report-tally.js';
import { slaReport } from './sla-report.js';

/**
 * Monthly delivery of SLA reports: on the first working day (Monday to Friday) of a month in
 * the client's time zone, or on any later day of that month when that one was missed, one mail
 * per (account manager serving the client, client, month) with last month's figures and a link
 * to the report. The outbox key `report:<tenant>:<period>:<email>` makes it once per triple, so
 * the recurring job may run as often as it likes.
 */

/** The first Monday-to-Friday day of the month of `local`. */
export function firstWorkingDay(local: DateTime): DateTime {
  let day = local.startOf('month');
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day;
}

/** Queue the reports that are due as of `now`; returns how many mails were queued. */
export async function queueMonthlyReports(ctx: Ctx, now = new Date()): Promise<number> {
  let queued = 0;
  const tenants = await Tenant.find({ status: 'active' })
    .select({ code: 1, legalName: 1, timeZone: 1 })
    .lean();
  // One read of the account managers for every client (each read is a scan of the users).
  const allManagers = await User.find({ role: 'account_manager', status: 'active' })
    .select({ email: 1, name: 1, locale: 1, tenantIds: 1 })
    .setOptions({ allTenants: true })
    .lean();
  for (const tenant of tenants) {
    const local = DateTime.fromJSDate(now, { zone: tenant.timeZone });
    if (local < firstWorkingDay(local)) continue;
    const period = lastMonth(tenant.timeZone, now);
    const managers = allManagers.filter((m) => m.tenantIds.some((t) => t.equals(tenant._id)));
    const id = String(tenant._id);
    const keyOf = (email: string) => `report:${id}:${period.key}:${email}`;
    // The job runs hourly all month: the report is computed only while someone still waits for it.
    const waiting = [];
    for (const m of managers) if (!(await isMailQueued(keyOf(m.email)))) waiting.push(m);
    if (waiting.length === 0) continue;
    const report = await slaReport(ctx, id, { from: period.fromDate, to: period.toDate }, now);
    const overall = report.compliance[0];
    for (const m of waiting) {
      const locale = isLocale(m.locale) ? m.locale : 'en';
      const pct = (x: number | null | undefined) =>
        x === null || x === undefined ? '–' : `${formatNumber(x, locale)} %`;
      const added = await enqueueMail(ctx, {
        key: keyOf(m.email),
        tenantId: id,
        to: m.email,
        locale,
        template: 'sla_report',
        params: {
          name: m.name,
          client: tenant.legalName,
          period: period.key,
          firstResponse: pct(overall?.firstResponse.pct),
          resolution: pct(overall?.resolution.pct),
          breaches: String(report.breaches.length),
          backlog: String(report.totals.backlog),
          light: t(locale, `reports.lights.${trafficLight(overall?.combined.pct ?? null)}`),
          link: linkUrl(`/reports/${id}?from=${period.fromDate}&to=${period.toDate}`),
        },
      });
      if (added) queued++;
    }
  }
  ctx.log.info({ queued }, 'monthly SLA reports queued');
  return queued;
}
