import { formatNumber } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import type { CsatReport, CsatRow } from './csat-report.js';
import { csvDelimiter, toCsv } from './report-csv.js';

/**
 * The CSAT report as the page shows it (numbers and percentages in the reader's locale) and as
 * CSV in the report exports' format (report-csv.ts: BOM, the reader's separator and headers,
 * plain numbers; rates and interval bounds as fractions with four decimals).
 */

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const pct = (x: number, locale: Locale): string => `${formatNumber(Math.round(x * 1000) / 10, locale)} %`;

export interface CsatLine {
  key: string;
  label: string;
  surveys: string;
  responses: string;
  responseRate: string;
  average: string;
  satisfied: string;
  interval: string;
}

function line(key: string, label: string, r: CsatRow, locale: Locale): CsatLine {
  const none = '–';
  return {
    key,
    label,
    surveys: formatNumber(r.surveys, locale),
    responses: formatNumber(r.responses, locale),
    responseRate: r.responseRate === null ? none : pct(r.responseRate, locale),
    average: r.average === null ? none : formatNumber(Math.round(r.average * 100) / 100, locale),
    satisfied: r.responses
      ? `${pct(r.interval.estimate, locale)} (${formatNumber(r.satisfied, locale)})`
      : none,
    interval: r.responses ? `${pct(r.interval.lower, locale)} – ${pct(r.interval.upper, locale)}` : none,
  };
}

export function csatPageTables(report: CsatReport, locale: Locale) {
  return {
    clients: report.clients.map((c) => line(c.tenant.id, c.tenant.legalName, c, locale)),
    operators: report.operators.map((o) =>
      line(
        o.operator?.id ?? 'unassigned',
        o.operator?.name ?? t(locale, 'csat.report.unassigned'),
        o,
        locale,
      ),
    ),
    total: line('total', t(locale, 'csat.report.total'), report.total, locale),
  };
}

type Cell = string | number | null;
const cells = (r: CsatRow): Cell[] => [
  r.surveys,
  r.responses,
  r.responseRate === null ? null : round4(r.responseRate),
  r.average === null ? null : round4(r.average),
  r.satisfied,
  r.responses ? round4(r.interval.estimate) : null,
  r.responses ? round4(r.interval.lower) : null,
  r.responses ? round4(r.interval.upper) : null,
];

const figureHeaders = (L: (key: string) => string): string[] => [
  L('surveys'),
  L('responses'),
  L('response_rate'),
  L('average'),
  L('satisfied'),
  L('satisfied_share'),
  L('lower'),
  L('upper'),
];

/** One client's figures as a CSV table of one line (the statement's satisfaction table). */
export function csatSummaryRows(r: CsatRow, locale: Locale): Cell[][] {
  return [figureHeaders((key) => t(locale, `csat.report.${key}`)), cells(r)];
}

/** The statement page's satisfaction line, formatted for the reader. */
export const csatSummaryLine = (r: CsatRow, locale: Locale): CsatLine =>
  line('total', t(locale, 'csat.report.total'), r, locale);

/** One table: a first column saying whether the line is a client or an operator, then the figures. */
export function csatRows(report: CsatReport, locale: Locale): Cell[][] {
  const L = (key: string) => t(locale, `csat.report.${key}`);
  return [
    [L('kind'), L('name'), ...figureHeaders(L)],
    ...report.clients.map((c) => [L('client'), c.tenant.legalName, ...cells(c)]),
    ...report.operators.map((o) => [L('operator'), o.operator?.name ?? L('unassigned'), ...cells(o)]),
    [L('total'), null, ...cells(report.total)],
  ];
}

export const csatCsv = (report: CsatReport, locale: Locale): string =>
  toCsv(csatRows(report, locale), csvDelimiter(locale));

/** One client's CSAT as a line of text (the weekly digest), or null without surveys. */
export function csatTextLine(r: CsatRow, locale: Locale): string | null {
  if (!r.surveys) return null;
  const none = '–';
  return t(locale, 'csat.digest_line', {
    surveys: formatNumber(r.surveys, locale),
    responses: formatNumber(r.responses, locale),
    rate: r.responseRate === null ? none : pct(r.responseRate, locale),
    satisfied: r.responses ? pct(r.interval.estimate, locale) : none,
    interval: r.responses ? `${pct(r.interval.lower, locale)} – ${pct(r.interval.upper, locale)}` : none,
  });
}
