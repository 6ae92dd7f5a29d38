import { formatNumber, formatPercent } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';
import type { AccuracyFigure, ClientAccuracy, LayoutAccuracy } from '../quality/client-accuracy.js';
import type { KeyerAccuracyRow } from '../quality/keyer-accuracy.js';

/**
 * Field accuracy (quality/client-accuracy.ts) as the reports show it: page lines (percentages
 * with two decimals in the reader's locale, the 95 % interval, the fields checked behind it and
 * the verdict in words), CSV rows in the report exports' format (proportions as fractions with
 * four decimals, like the CSAT tables), the statement's record counts and the digest's lines.
 * The client's documents show layouts and fields, never a keyer's name; keyers are the team
 * leads' operator view.
 */

type Cell = string | number | null;
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
/** A proportion as a percentage with two decimals (0.99205 -> "99.21 %"). */
export const accuracyPct = formatPercent;

export interface AccuracyLine {
  key: string;
  label: string;
  target: string;
  inspected: string;
  accuracy: string;
  interval: string;
  verdict: string;
  /** 'met' | 'at-risk' | 'breach' | 'none', for the page's class. */
  verdictKey: string;
}

function line(key: string, label: string, f: AccuracyFigure, target: number | null, locale: Locale) {
  const none = '–';
  const verdictKey = f.verdict ?? 'none';
  return {
    key,
    label,
    target: target === null ? t(locale, 'accuracy.no_target') : accuracyPct(target, locale),
    inspected: formatNumber(f.inspected, locale),
    accuracy: f.inspected ? accuracyPct(f.interval.estimate, locale) : none,
    interval: f.inspected
      ? `${accuracyPct(f.interval.lower, locale)} – ${accuracyPct(f.interval.upper, locale)}`
      : none,
    verdict: t(locale, `accuracy.verdicts.${verdictKey}`),
    verdictKey,
  };
}

/** Per layout: its line, then one line per field. */
export function accuracyPageTables(acc: ClientAccuracy, locale: Locale) {
  return {
    layouts: acc.layouts.map((l) => ({
      ...line(l.layoutId, l.name, l, l.target, locale),
      records: formatNumber(l.records, locale),
      fields: l.fields.map((f) => line(f.field, f.label, f, l.target, locale)),
    })),
    breaches: acc.breaches.map((b) =>
      t(locale, 'accuracy.breach_line', {
        layout: b.layoutName,
        period: b.period,
        upper: accuracyPct(b.upper, locale),
        target: accuracyPct(b.target, locale),
      }),
    ),
    records: {
      keyed: formatNumber(acc.records.keyed, locale),
      inspected: formatNumber(acc.records.inspected, locale),
      accepted: formatNumber(acc.records.accepted, locale),
      reworked: formatNumber(acc.records.reworked, locale),
    },
  };
}

export const figureCells = (f: AccuracyFigure, target: number | null, locale: Locale): Cell[] => [
  target === null ? null : round4(target),
  f.inspected,
  f.correct,
  f.inspected ? round4(f.interval.estimate) : null,
  f.inspected ? round4(f.interval.lower) : null,
  f.inspected ? round4(f.interval.upper) : null,
  f.verdict === null ? null : t(locale, `accuracy.verdicts.${f.verdict}`),
];

/** The headings of figureCells' columns. */
export const figureHeadings = (locale: Locale): string[] =>
  ['target', 'inspected', 'correct', 'estimate', 'lower', 'upper', 'verdict'].map((key) =>
    t(locale, `accuracy.csv.${key}`),
  );

/**
 * The operator view's per-keyer accuracy as CSV rows (the page's keyer lines, keyer-accuracy.ts):
 * keyer, client, layout, then the figures as the accuracy CSV has them (target, fields checked,
 * correct, accuracy and the 95 % Wilson bounds as fractions, verdict).
 */
export function keyerRows(rows: readonly KeyerAccuracyRow[], locale: Locale): Cell[][] {
  const L = (key: string) => t(locale, `accuracy.${key}`);
  return [
    [L('keyer'), L('client'), L('layout'), ...figureHeadings(locale)],
    ...rows.map((r) => [r.keyer.name, r.tenant.legalName, r.layoutName, ...figureCells(r, r.target, locale)]),
  ];
}

/** The accuracy CSV: a line per layout (all fields) and per field of it. */
export function accuracyRows(acc: ClientAccuracy, locale: Locale): Cell[][] {
  const L = (key: string) => t(locale, `accuracy.csv.${key}`);
  const layoutRows = (l: LayoutAccuracy): Cell[][] => [
    [L('kind_layout'), l.name, L('all'), ...figureCells(l, l.target, locale)],
    ...l.fields.map((f) => [L('kind_field'), l.name, f.label, ...figureCells(f, l.target, locale)]),
  ];
  return [[L('kind'), L('layout'), L('name'), ...figureHeadings(locale)], ...acc.layouts.flatMap(layoutRows)];
}

/** The statement's record counts as a CSV table of one line. */
export function recordCountRows(acc: ClientAccuracy, locale: Locale): Cell[][] {
  const r = acc.records;
  return [
    [
      t(locale, 'accuracy.keyed'),
      t(locale, 'accuracy.sampled'),
      t(locale, 'accuracy.accepted'),
      t(locale, 'accuracy.reworked'),
    ],
    [r.keyed, r.inspected, r.accepted, r.reworked],
  ];
}

/** One line of text per layout inspected (the weekly digest). */
export function accuracyTextLines(acc: ClientAccuracy, locale: Locale): string[] {
  return acc.layouts.map((l) => {
    const shown = line(l.layoutId, l.name, l, l.target, locale);
    return t(locale, 'accuracy.digest_line', {
      layout: l.name,
      accuracy: shown.accuracy,
      interval: shown.interval,
      inspected: shown.inspected,
      target: shown.target,
      verdict: shown.verdict,
    });
  });
}

/** The operator view's per-keyer lines. */
export function keyerLines(rows: readonly KeyerAccuracyRow[], locale: Locale) {
  return rows.map((r) => ({
    ...line(`${r.keyer.id ?? ''}:${r.layoutId}`, r.keyer.name, r, r.target, locale),
    client: r.tenant.legalName,
    layout: r.layoutName,
  }));
}
