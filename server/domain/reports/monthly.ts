import { DateTime } from 'luxon';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { formatNumber } from '../../i18n/format.js';
import { isLocale, t } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { enqueueMail } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { lastMonth, slaReport, trafficLight } from './sla-report.js';

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
  const tenants = await Tenant.find({ status: 'active' }).select({ code: 1, legalName: 1, timeZone: 1 }).lean();
  for (const tenant of tenants) {
    const local = DateTime.fromJSDate(now, { zone: tenant.timeZone });
    if (local < firstWorkingDay(local)) continue;
    const period = lastMonth(tenant.timeZone, now);
    const managers = await User.find({ role: 'account_manager', status: 'active', tenantIds: tenant._id })
      .select({ email: 1, name: 1, locale: 1 })
      .setOptions({ allTenants: true })
      .lean();
    if (managers.length === 0) continue;
    const id = String(tenant._id);
    const report = await slaReport(ctx, id, { from: period.fromDate, to: period.toDate }, now);
    const overall = report.compliance[0];
    for (const m of managers) {
      const locale = isLocale(m.locale) ? m.locale : 'en';
      const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${formatNumber(x, locale)} %`);
      const added = await enqueueMail(ctx, {
        key: `report:${id}:${period.key}:${m.email}`,
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
