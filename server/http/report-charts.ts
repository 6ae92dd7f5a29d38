import { DateTime } from 'luxon';
import type { PortfolioRow } from '../domain/reports/portfolio.js';
import type { ReportPeriod } from '../domain/reports/report-period.js';
import type { Tally, TrafficLight } from '../domain/reports/report-tally.js';
import type { SlaReport } from '../domain/reports/sla-report.js';
import { intlLocaleOf } from '../i18n/format.js';
import { t, type Locale } from '../i18n/i18n.js';

/**
 * What public/js/report-charts.js draws: figures the tables already show, labelled here in
 * the reader's language, so the script has no strings of its own. Tones name colours the
 * script picks; a null value is a gap (nothing measured), not a zero.
 */

type Tone =
  'firstResponse' | 'resolution' | 'opened' | 'resolved' | 'backlog' | 'previous' | 'ageing' | TrafficLight;

interface Series {
  label: string;
  data: Array<number | null>;
  tone: Tone;
  /** Dashed line: the previous period. */
  dashed?: boolean;
  /** One tone per bar (traffic lights) instead of the series tone. */
  tones?: Tone[];
}

export interface ChartSpec {
  kind: 'bar' | 'line';
  /** Values are percentages: a 0-100 axis. */
  percent?: boolean;
  horizontal?: boolean;
  labels: string[];
  series: Series[];
}

export interface ChartData {
  /** BCP 47 locale for the axis numbers. */
  locale: string;
  charts: Record<string, ChartSpec>;
}

const pct = (x: Tally): number | null => x.pct;

/** The ISO weeks (tenant time zone) a period touches, in order, as the report names them. */
function weeksOf(period: ReportPeriod, zone: string): string[] {
  const weeks: string[] = [];
  const end = DateTime.fromJSDate(period.to, { zone });
  for (let day = DateTime.fromJSDate(period.from, { zone }); day < end; day = day.plus({ days: 1 })) {
    const key = `${day.weekYear}-W${String(day.weekNumber).padStart(2, '0')}`;
    if (weeks[weeks.length - 1] !== key) weeks.push(key);
  }
  return weeks;
}

// Long function: one declaration per chart of the report.
export function reportCharts(report: SlaReport, locale: Locale): ChartData {
  const tr = (key: string, params?: Record<string, unknown>) => t(locale, `reports.${key}`, params);
  const groups = report.compliance.filter((r) => r.scope !== 'overall');
  const label = (scope: string, key: string) =>
    t(locale, `${scope === 'type' ? 'ticket_types' : 'priorities'}.${key}`);

  // The week-by-week comparison lines up the n-th week of each period.
  const zone = report.tenant.timeZone;
  const weeks = { current: weeksOf(report.period, zone), previous: weeksOf(report.previous, zone) };
  const count = Math.max(weeks.current.length, weeks.previous.length);
  const weekly = (
    period: 'current' | 'previous',
    value: (row: SlaReport['trend'][number] | undefined) => number | null,
  ) =>
    Array.from({ length: count }, (_, i) => {
      const week = weeks[period][i];
      return week === undefined
        ? null
        : value(report.trend.find((r) => r.period === period && r.week === week));
    });
  const weekLabels = Array.from({ length: count }, (_, i) => tr('charts.week_n', { n: i + 1 }));
  const now = (series: string) => tr('charts.this_period', { series });
  const before = (series: string) => tr('charts.previous_period', { series });
  const fr = tr('first_response');
  const res = tr('resolution');

  const volumes = (dimension: 'type' | 'priority' | 'channel'): ChartSpec => {
    const rows = report.volumes.filter((v) => v.dimension === dimension);
    const prefix =
      dimension === 'type' ? 'ticket_types' : dimension === 'priority' ? 'priorities' : 'channels';
    return {
      kind: 'bar',
      labels: rows.map((r) => t(locale, `${prefix}.${r.key}`)),
      series: [
        { label: tr('csv.opened'), data: rows.map((r) => r.opened), tone: 'opened' },
        { label: tr('csv.resolved'), data: rows.map((r) => r.resolved), tone: 'resolved' },
        { label: tr('csv.backlog'), data: rows.map((r) => r.backlog), tone: 'backlog' },
      ],
    };
  };

  return {
    locale: intlLocaleOf(locale),
    charts: {
      compliance: {
        kind: 'bar',
        percent: true,
        labels: groups.map((r) => label(r.scope, r.key)),
        series: [
          { label: fr, data: groups.map((r) => pct(r.firstResponse)), tone: 'firstResponse' },
          { label: res, data: groups.map((r) => pct(r.resolution)), tone: 'resolution' },
        ],
      },
      trend: {
        kind: 'line',
        percent: true,
        labels: weekLabels,
        series: [
          {
            label: now(fr),
            data: weekly('current', (r) => (r ? pct(r.firstResponse) : null)),
            tone: 'firstResponse',
          },
          {
            label: now(res),
            data: weekly('current', (r) => (r ? pct(r.resolution) : null)),
            tone: 'resolution',
          },
          {
            label: before(fr),
            data: weekly('previous', (r) => (r ? pct(r.firstResponse) : null)),
            tone: 'firstResponse',
            dashed: true,
          },
          {
            label: before(res),
            data: weekly('previous', (r) => (r ? pct(r.resolution) : null)),
            tone: 'resolution',
            dashed: true,
          },
        ],
      },
      opened: {
        kind: 'bar',
        labels: weekLabels,
        series: [
          { label: now(tr('csv.opened')), data: weekly('current', (r) => r?.opened ?? 0), tone: 'opened' },
          {
            label: before(tr('csv.opened')),
            data: weekly('previous', (r) => r?.opened ?? 0),
            tone: 'previous',
          },
        ],
      },
      'volumes-type': volumes('type'),
      'volumes-priority': volumes('priority'),
      'volumes-channel': volumes('channel'),
      ageing: {
        kind: 'bar',
        labels: report.ageing.map((a) => tr(`buckets.${a.bucket}`)),
        series: [{ label: tr('csv.count'), data: report.ageing.map((a) => a.count), tone: 'ageing' }],
      },
    },
  };
}

export function portfolioCharts(rows: readonly PortfolioRow[], locale: Locale): ChartData {
  return {
    locale: intlLocaleOf(locale),
    charts: {
      portfolio: {
        kind: 'bar',
        percent: true,
        horizontal: true,
        labels: rows.map((r) => r.tenant.legalName),
        series: [
          {
            label: t(locale, 'reports.combined'),
            data: rows.map((r) => r.combined.pct),
            tone: 'none',
            tones: rows.map((r) => r.light),
          },
        ],
      },
    },
  };
}

/** JSON for a `<script type="application/json">` block: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
