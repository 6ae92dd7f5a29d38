import { t, type Locale } from '../../i18n/i18n.js';
import { keyerRows } from './accuracy-tables.js';
import { csvDelimiter, toCsv } from './report-csv.js';
import type { OperatorRow, OperatorView } from './operator-view.js';

/**
 * The operator view as CSV, in the report exports' format (report-csv.ts): BOM, the reader's
 * separator and headers, plain numbers, durations in business seconds. The line of tickets
 * resolved while unassigned comes last. When lots were closed in the period, the page's field
 * accuracy per keyer and client layout follows after an empty line, as a table with its own
 * headings (accuracy-tables.ts `keyerRows`: fields checked, accuracy, the 95 % Wilson bounds).
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
    ...(view.keyers.length ? [[], ...keyerRows(view.keyers, locale)] : []),
  ];
}

export const operatorCsv = (view: OperatorView, locale: Locale): string =>
  toCsv(operatorRows(view, locale), csvDelimiter(locale));
