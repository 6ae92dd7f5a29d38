import { t, type Locale } from '../../i18n/i18n.js';
import { accuracyRows, recordCountRows } from './accuracy-tables.js';
import { csatSummaryRows } from './csat-tables.js';
import { csvDelimiter, toCsv } from './report-csv.js';
import type { Statement, StatementTable } from './statement.js';

/**
 * The tables of a client statement as CSV, in the report exports' format (report-csv.ts): BOM,
 * the reader's separator and language, plain numbers (amounts with a dot and up to two decimals).
 */
export function statementRows(
  statement: Statement,
  table: StatementTable,
  locale: Locale,
): Array<Array<string | number | null>> {
  const L = (key: string) => t(locale, `statement.csv.${key}`);
  switch (table) {
    case 'volumes':
      return [
        [L('dimension'), L('key'), L('opened'), L('resolved')],
        ...statement.volumes.map((v) => [
          L(`dimension_${v.dimension}`),
          t(locale, `${v.dimension === 'type' ? 'ticket_types' : 'priorities'}.${v.key}`),
          v.opened,
          v.resolved,
        ]),
      ];
    case 'records': {
      const r = statement.records;
      return [
        [L('batches'), L('expected'), L('completed'), L('errors')],
        [r.batches, r.expected, r.completed, r.errors],
      ];
    }
    case 'outcomes':
      return [
        [L('outcome'), L('count')],
        ...statement.invoices.outcomes.map((o) => [t(locale, `statement.outcomes.${o.outcome}`), o.count]),
      ];
    case 'amounts':
      return [
        [L('currency'), L('count'), L('amount')],
        ...statement.invoices.amounts.map((a) => [a.currency, a.count, a.amount]),
      ];
    case 'satisfaction':
      return csatSummaryRows(statement.satisfaction, locale);
    case 'quality':
      return recordCountRows(statement.accuracy, locale);
    case 'accuracy':
      return accuracyRows(statement.accuracy, locale);
  }
}

export const statementCsv = (statement: Statement, table: StatementTable, locale: Locale): string =>
  toCsv(statementRows(statement, table, locale), csvDelimiter(locale));
