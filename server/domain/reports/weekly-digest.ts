import { DateTime } from 'luxon';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { formatNumber } from '../../i18n/format.js';
import { isLocale, t, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { enqueueMail, isMailQueued } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { cachedProvider } from '../provider.js';
import { accuracyTextLines } from './accuracy-tables.js';
import { clientCsat, type CsatRow } from './csat-report.js';
import { csatTextLine } from './csat-tables.js';
import { trafficLight } from './report-tally.js';
import { slaReport, type SlaReport } from './sla-report.js';

/**
 * The weekly digest (issue 7, optional part): one mail per (account manager, ISO week) with last
 * week's compliance, missed deadlines and backlog of each client they serve.
 *
 * - The week is the ISO week (Monday to Monday) before the current one in the provider's time
 *   zone, the zone staff pages use; one manager gets one mail, so one week label for all of
 *   their clients. Each client's figures cover that week's local days in the client's own time
 *   zone, as its SLA report would (`/reports/<id>?from=<Monday>&to=<next Monday>`).
 * - Due on Monday, the first working day of the ISO week, as soon as the week has ended in the
 *   time zone of every client of the manager (so no client's week is cut short); a run that
 *   missed Monday sends it later in the week. The recurring job may run as often as it likes:
 *   the outbox key `digest:<week>:<email>` keeps it to one mail per manager and week.
 * - Who: active account managers with at least one active client. There is no per-user
 *   preference in the user model, so the digest is switched for the whole portal by the config
 *   flag REPORTS_WEEKLY_DIGEST (read by the job adapter, default on).
 */

export interface DigestWeek {
  /** '2025-W10' */
  key: string;
  /** Local dates of the week's Monday and of the next Monday (not included). */
  fromDate: string;
  toDate: string;
}

/** The ISO week before the one `now` falls in, in the time zone. */
export function previousIsoWeek(timeZone: string, now = new Date()): DigestWeek {
  const thisWeek = DateTime.fromJSDate(now, { zone: timeZone }).startOf('week');
  const start = thisWeek.minus({ weeks: 1 });
  return {
    key: `${start.weekYear}-W${String(start.weekNumber).padStart(2, '0')}`,
    fromDate: start.toISODate() as string,
    toDate: thisWeek.toISODate() as string,
  };
}

/** When the week is over in a time zone: its next Monday at midnight there. */
const weekEndIn = (week: DigestWeek, timeZone: string): Date =>
  DateTime.fromISO(week.toDate, { zone: timeZone }).toJSDate();

interface TenantRow {
  _id: unknown;
  code: string;
  legalName: string;
  timeZone: string;
}

function digestLine(locale: Locale, tenant: TenantRow, report: SlaReport, week: DigestWeek): string {
  const overall = report.compliance[0];
  const pct = (x: number | null | undefined) =>
    x === null || x === undefined ? '–' : `${formatNumber(x, locale)} %`;
  const line = t(locale, 'mail.reports_weekly.line', {
    client: tenant.legalName,
    light: t(locale, `reports.lights.${trafficLight(overall?.combined.pct ?? null)}`),
    firstResponse: pct(overall?.firstResponse.pct),
    resolution: pct(overall?.resolution.pct),
    breaches: String(report.breaches.length),
    backlog: String(report.totals.backlog),
  });
  return `${line}\n${linkUrl(`/reports/${String(tenant._id)}?from=${week.fromDate}&to=${week.toDate}`)}`;
}

/** Queue the digests that are due as of `now`; returns how many mails were queued. */
export async function queueWeeklyDigests(ctx: Ctx, now = new Date()): Promise<number> {
  const zone = (await cachedProvider())?.timeZone ?? 'UTC';
  const week = previousIsoWeek(zone, now);
  const tenants = await Tenant.find({ status: 'active' })
    .select({ code: 1, legalName: 1, timeZone: 1 })
    .sort({ legalName: 1 })
    .lean();
  const managers = await User.find({ tenantId: null, role: 'account_manager', status: 'active' })
    .select({ email: 1, name: 1, locale: 1, tenantIds: 1 })
    .lean();
  // Several managers share clients: each client's week is read once per run.
  const reports = new Map<string, Promise<SlaReport>>();
  const reportOf = (tenant: TenantRow) => {
    const id = String(tenant._id);
    let report = reports.get(id);
    if (!report)
      reports.set(id, (report = slaReport(ctx, id, { from: week.fromDate, to: week.toDate }, now)));
    return report;
  };

  const csats = new Map<string, Promise<CsatRow>>();
  const csatOf = (tenant: TenantRow) => {
    const id = String(tenant._id);
    let row = csats.get(id);
    if (!row) {
      const at = (date: string) => DateTime.fromISO(date, { zone: tenant.timeZone }).toJSDate();
      csats.set(id, (row = clientCsat(id, at(week.fromDate), at(week.toDate))));
    }
    return row;
  };

  let queued = 0;
  for (const m of managers) {
    const served = new Set(m.tenantIds.map(String));
    const mine = tenants.filter((tn) => served.has(String(tn._id)));
    if (mine.length === 0) continue;
    if (mine.some((tn) => weekEndIn(week, tn.timeZone) > now)) continue;
    const key = `digest:${week.key}:${m.email}`;
    // The job runs hourly all week: the reports are read only while this digest is still to send.
    if (await isMailQueued(key)) continue;
    const locale: Locale = isLocale(m.locale) ? m.locale : 'en';
    const lines: string[] = [];
    for (const tenant of mine) {
      const report = await reportOf(tenant);
      const line = digestLine(locale, tenant, report, week);
      // The client's satisfaction over the same local days, when it had surveys.
      const csat = csatTextLine(await csatOf(tenant), locale);
      // Field accuracy of the lots closed in those days (the report's), one line per layout inspected.
      const accuracy = accuracyTextLines(report.accuracy, locale);
      lines.push([line, ...(csat ? [csat] : []), ...accuracy].join('\n'));
    }
    const until = DateTime.fromISO(week.toDate).minus({ days: 1 }).toISODate() as string;
    const added = await enqueueMail(ctx, {
      key,
      tenantId: null,
      to: m.email,
      locale,
      template: 'reports_weekly',
      params: {
        name: m.name,
        week: week.key,
        from: week.fromDate,
        until,
        clients: lines.join('\n\n'),
        link: linkUrl('/reports'),
      },
    });
    if (added) queued++;
  }
  ctx.log.info({ queued, week: week.key }, 'weekly SLA digests queued');
  return queued;
}
