import { t, type Locale } from '../../i18n/i18n.js';
import { csvDelimiter, toCsv } from './report-csv.js';
import type { OperatorRow, OperatorView } from './operator-view.js';

/**
 * The operator view as CSV, in the report exports' format (report-csv.ts): BOM, the reader's
 * separator and headers, plain numbers, durations in business seconds. The line of tickets
 * resolved while unassigned comes last.
 */
export function operatorRows(view: OperatorView, locale: Locale): Array<Array<string | number | null>> {
  const L = (key: string) => t(locale, `operators.csv.${key}`);
  const line = (r: OperatorRow) => [
    r.operator ? r.operator.name : L('unassigned'),
    r.operator ? r.operator.email : null,
    r.handled,
    r.timed,
    r.medianSeconds,
    r.firstResponse.met,
    r.firstResponse.breached,
    r.resolution.met,
    r.resolution.breached,
  ];
  return [
    [
      L('operator'),
      L('email'),
      L('handled'),
      L('timed'),
      L('median_seconds'),
      L('fr_met'),
      L('fr_breached'),
      L('res_met'),
      L('res_breached'),
    ],
    ...view.rows.map(line),
    ...(view.unassigned ? [line(view.unassigned)] : []),
  ];
}

export const operatorCsv = (view: OperatorView, locale: Locale): string =>
  toCsv(operatorRows(view, locale), csvDelimiter(locale));
