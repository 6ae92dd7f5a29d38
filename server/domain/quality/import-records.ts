import { parse } from 'csv-parse/sync';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { loadBatch, localeOf, notOpen, openStates, personOf } from './batch.js';
import { validateRecord } from './validate-record.js';

export interface ImportRowError {
  /** The row in the file, counting the header as row 1. */
  row: number;
  field: string;
  key: string;
  params: Record<string, string | number>;
}

export interface ImportReport {
  imported: number;
  errors: ImportRowError[];
}

const maxImportErrors = 500;

/**
 * Import records from a CSV file (comma or semicolon, header row naming the layout's field keys
 * or labels, any order). Every row is validated like a keyed record, in the importer's locale;
 * when any row is refused nothing is stored and the report names each refusal by row and field.
 * The record numbers of a good file are reserved with one conditional increment on the open
 * batch, then the rows are inserted (a crash in between leaves unused numbers, never a duplicate).
 * XLSX is not read: no spreadsheet package is installed.
 */
export async function importRecords(ctx: Ctx, ticketRef: string, csv: string): Promise<ImportReport> {
  const { ticket, batch, layout } = await loadBatch(ctx, ticketRef);
  const text = csv.replace(/^\ufeff/, '');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch {
    throw new AppError('validation', 'unreadable CSV', {
      fields: [{ path: 'file', key: 'keying.errors.csv_unreadable' }],
    });
  }
  const [header, ...body] = rows;
  if (!header || body.length === 0) {
    throw new AppError('validation', 'empty CSV', {
      fields: [{ path: 'file', key: 'keying.errors.csv_empty' }],
    });
  }
  const byName = new Map<string, string>();
  for (const field of layout.fields) {
    byName.set(field.key.toLowerCase(), field.key);
    byName.set(field.label.toLowerCase(), field.key);
  }
  const columns = header.map((name) => byName.get(name.trim().toLowerCase()) ?? name.trim());
  const locale = localeOf(ctx);
  const errors: ImportRowError[] = [];
  const good: Record<string, unknown>[] = [];
  body.forEach((cells, i) => {
    const raw: Record<string, string> = {};
    columns.forEach((key, c) => {
      raw[key] = cells[c] ?? '';
    });
    const checked = validateRecord(layout, raw, locale);
    if (checked.ok) good.push(checked.values);
    else if (errors.length < maxImportErrors)
      for (const e of checked.errors)
        errors.push({ row: i + 2, field: e.field, key: e.key, params: e.params });
  });
  if (errors.length > 0) return { imported: 0, errors };
  const reserved = await KeyingBatch.findOneAndUpdate(
    { _id: batch._id, tenantId: ticket.tenantId, state: { $in: openStates } },
    { $inc: { nextSeq: good.length } },
    { returnDocument: 'before' },
  ).lean();
  if (!reserved) throw notOpen();
  const keyedBy = personOf(ctx);
  const keyedAt = new Date();
  const chunk = 1000;
  for (let start = 0; start < good.length; start += chunk) {
    await KeyedRecord.insertMany(
      good.slice(start, start + chunk).map((values, j) => ({
        tenantId: ticket.tenantId,
        ticketId: ticket._id,
        seq: reserved.nextSeq + start + j,
        values,
        keyedBy,
        keyedAt,
        round: reserved.round,
      })),
      { ordered: false },
    );
  }
  return { imported: good.length, errors: [] };
}
