import { DateTime } from 'luxon';
import { t, type Locale } from '../../i18n/i18n.js';
import { accuracyRows } from './accuracy-tables.js';
import type { ReportTable } from './report-tables.js';
import type { Tally } from './report-tally.js';
import type { SlaReport } from './sla-report.js';

/**
 * The tables of an SLA report as CSV: UTF-8 with a BOM (Excel then reads the accents), `;`
 * between fields for Italian and Danish readers (their Excel expects it), `,` for English.
 * Headers and labels in the reader's language; numbers plain (dot decimals, no grouping), times
 * as local 'yyyy-MM-dd HH:mm:ss' in the tenant's time zone, durations in business seconds.
 */

type Cell = string | number | null;

export const csvDelimiter = (locale: Locale): ',' | ';' => (locale === 'en' ? ',' : ';');

function quote(value: Cell, delimiter: string): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  // A text cell that a spreadsheet would run as a formula is kept as text.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return safe.includes(delimiter) || /["\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: Cell[][], delimiter: string): string {
  return `\uFEFF${rows.map((r) => r.map((c) => quote(c, delimiter)).join(delimiter)).join('\r\n')}\r\n`;
}

const tallyCells = (x: Tally): Cell[] => [x.measured, x.met, x.breached, x.pct];

/** A table of the report as header + rows of cells. */
// Long function: a switch over the report's tables, one short case each.
export function reportRows(report: SlaReport, table: ReportTable, locale: Locale): Cell[][] {
  const L = (key: string) => t(locale, `reports.csv.${key}`);
  const label = (group: string, key: string) => t(locale, `${group}.${key}`);
  const local = (d: Date | null) =>
    d ? DateTime.fromJSDate(d, { zone: report.tenant.timeZone }).toFormat('yyyy-MM-dd HH:mm:ss') : null;
  const tallyHeads = (prefix: string) =>
    ['measured', 'met', 'breached', 'pct'].map((k) => `${t(locale, `reports.${prefix}`)} ${L(k)}`);
  switch (table) {
    case 'compliance':
      return [
        [
          L('scope'),
          L('key'),
          ...tallyHeads('first_response'),
          ...tallyHeads('resolution'),
          ...tallyHeads('combined'),
        ],
        ...report.compliance.map((r) => [
          L(`scope_${r.scope}`),
          r.scope === 'overall' ? L('all') : label(r.scope === 'type' ? 'ticket_types' : 'priorities', r.key),
          ...tallyCells(r.firstResponse),
          ...tallyCells(r.resolution),
          ...tallyCells(r.combined),
        ]),
      ];
    case 'breaches':
      return [
        [
          L('ticket'),
          L('type'),
          L('priority'),
          L('target'),
          L('target_seconds'),
          L('due_at'),
          L('met_at'),
          L('overshoot_seconds'),
        ],
        ...report.breaches.map((b) => [
          b.number,
          label('ticket_types', b.type),
          label('priorities', b.priority),
          t(locale, `reports.targets.${b.target}`),
          b.targetSeconds,
          local(b.dueAt),
          local(b.metAt),
          b.overshootSeconds,
        ]),
      ];
    case 'volumes':
      return [
        [L('dimension'), L('key'), L('opened'), L('resolved'), L('backlog')],
        ...report.volumes.map((v) => [
          L(`dimension_${v.dimension}`),
          label(
            v.dimension === 'type' ? 'ticket_types' : v.dimension === 'priority' ? 'priorities' : 'channels',
            v.key,
          ),
          v.opened,
          v.resolved,
          v.backlog,
        ]),
      ];
    case 'times':
      return [
        [L('target'), L('count'), L('median_seconds'), L('p90_seconds')],
        ...report.times.map((r) => [
          t(locale, `reports.targets.${r.target}`),
          r.count,
          r.medianSeconds,
          r.p90Seconds,
        ]),
      ];
    case 'ageing':
      return [
        [L('bucket'), L('count')],
        ...report.ageing.map((a) => [t(locale, `reports.buckets.${a.bucket}`), a.count]),
      ];
    case 'trend':
      return [
        [L('period'), L('week'), L('opened'), ...tallyHeads('first_response'), ...tallyHeads('resolution')],
        ...report.trend.map((r) => [
          L(`period_${r.period}`),
          r.week,
          r.opened,
          ...tallyCells(r.firstResponse),
          ...tallyCells(r.resolution),
        ]),
      ];
    case 'accuracy':
      return accuracyRows(report.accuracy, locale);
  }
}

export const reportCsv = (report: SlaReport, table: ReportTable, locale: Locale): string =>
  toCsv(reportRows(report, table, locale), csvDelimiter(locale));
