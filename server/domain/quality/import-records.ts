import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import type { Types } from 'mongoose';
import { KeyingImport } from '../../../models/keying-import.js';
import { KeyedRecord, KeyingBatch } from '../../../models/quality.js';
import { scopedCollection } from '../../db/scoped-collection.js';
import { AppError } from '../../errors/app-error.js';
import type { Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { loadBatch, localeOf, notOpen, openStates, personOf } from './batch.js';
import {
  cellText,
  readRecordRows,
  recordFileFormat,
  type FileRow,
  type RecordFileFormat,
} from './record-files.js';
import type { LayoutField, RecordLayout } from './record-layout.js';
import { validateRecord, type RecordCheck } from './validate-record.js';

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

/** A record file to import: its format and a way to read it from the start (it is read twice). */
export interface RecordFile {
  format: RecordFileFormat;
  open: () => Readable;
}

const maxImportErrors = 500;
/** Rows per insertMany: one round trip per thousand records, none per row. */
const insertChunk = 1000;

const unreadable = (format: RecordFileFormat, cause: unknown) =>
  new AppError('validation', `unreadable ${format}`, {
    cause,
    fields: [
      {
        path: 'file',
        key: format === 'xlsx' ? 'keying_files.errors.xlsx_unreadable' : 'keying.errors.csv_unreadable',
      },
    ],
  });

const emptyFile = () =>
  new AppError('validation', 'empty record file', {
    fields: [{ path: 'file', key: 'keying.errors.csv_empty' }],
  });

/**
 * The field key of each header cell (by key or label, any case). Two columns naming one field
 * are refused: which of the two values to keep would be a guess.
 */
function headerColumns(
  cells: FileRow['cells'],
  byName: Map<string, string>,
  fieldOf: Map<string, LayoutField>,
): string[] {
  const seen = new Map<string, string>();
  return cells.map((c) => {
    const name = cellText(c, undefined, 'en').trim();
    const key = byName.get(name.toLowerCase()) ?? name;
    const first = seen.get(key);
    if (first !== undefined && fieldOf.has(key))
      throw new AppError('validation', 'two columns for one field', {
        fields: [
          {
            path: 'file',
            key: 'record_columns.duplicate',
            params: { field: fieldOf.get(key)?.label ?? key, first, second: name },
          },
        ],
      });
    seen.set(key, name);
    return key;
  });
}

interface CheckedRow {
  row: number;
  check: RecordCheck;
}

/**
 * The file's records checked one by one, as they are read: the header row names the fields (by
 * key or label, any case, any order), each later row is validated like a keyed record.
 */
async function* checkedRows(
  layout: Pick<RecordLayout, 'fields'>,
  file: RecordFile,
  locale: Locale,
): AsyncGenerator<CheckedRow> {
  const byName = new Map<string, string>();
  const fieldOf = new Map<string, LayoutField>();
  for (const field of layout.fields) {
    byName.set(field.key.toLowerCase(), field.key);
    byName.set(field.label.toLowerCase(), field.key);
    fieldOf.set(field.key, field);
  }
  const rows = readRecordRows(file.format, file.open());
  let columns: string[] | null = null;
  let any = false;
  for (;;) {
    let next: IteratorResult<FileRow>;
    try {
      next = await rows.next();
    } catch (err) {
      throw unreadable(file.format, err);
    }
    if (next.done) break;
    const { row, cells } = next.value;
    if (!columns) {
      columns = headerColumns(cells, byName, fieldOf);
      continue;
    }
    // A value in a column the header does not name (past its last column: a separator inside an
    // unquoted value shifts the row) would be dropped without a word, its neighbours read into
    // the wrong fields: the file is refused, naming the row. Empty cells there (a spreadsheet's
    // trailing separators, on the header too) are not values.
    const named = columns;
    if (cells.some((c, i) => !named[i] && cellText(c ?? null, undefined, 'en').trim() !== ''))
      throw new AppError('validation', 'a value in an unnamed column', {
        fields: [{ path: 'file', key: 'input_checks.extra_cells', params: { row } }],
      });
    const raw: Record<string, string> = {};
    columns.forEach((key, c) => {
      if (!key) return;
      raw[key] = cellText(cells[c] ?? null, fieldOf.get(key), locale);
    });
    any = true;
    yield { row, check: validateRecord(layout, raw, locale) };
  }
  if (!any) throw emptyFile();
}

interface FileCheck {
  count: number;
  digest: string;
  errors: ImportRowError[];
}

/** First reading: every row checked, the refusals listed (at most 500), nothing kept of the values. */
async function checkFile(layout: RecordLayout, file: RecordFile, locale: Locale): Promise<FileCheck> {
  const hash = createHash('sha256');
  const errors: ImportRowError[] = [];
  let count = 0;
  for await (const { row, check } of checkedRows(layout, file, locale)) {
    if (!check.ok) {
      for (const e of check.errors) errors.push({ row, field: e.field, key: e.key, params: e.params });
      if (errors.length >= maxImportErrors)
        return { count, digest: '', errors: errors.slice(0, maxImportErrors) };
      continue;
    }
    count += 1;
    hash.update(JSON.stringify(layout.fields.map((f) => check.values[f.key] ?? null)));
    hash.update('\n');
  }
  return { count, digest: hash.digest('hex'), errors };
}

interface Reservation {
  firstSeq: number;
  round: number;
}

/**
 * The record numbers of the file's rows. A file already imported in this round keeps the numbers
 * it was given; a new one reserves its range with one conditional increment on the open batch,
 * then records the range under its digest (unique): a crash between the two leaves unused
 * numbers, never a duplicate, and two imports of the same file at once share the winner's range.
 */
async function reserveNumbers(
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  batchId: Types.ObjectId,
  round: number,
  checked: FileCheck,
  format: RecordFileFormat,
): Promise<Reservation> {
  const key = { tenantId: ticket.tenantId, ticketId: ticket._id, round, digest: checked.digest };
  const known = await KeyingImport.findOne(key).lean();
  if (known) return { firstSeq: known.firstSeq, round };
  const reserved = await KeyingBatch.findOneAndUpdate(
    { _id: batchId, tenantId: ticket.tenantId, state: { $in: openStates }, round },
    { $inc: { nextSeq: checked.count } },
    { returnDocument: 'before' },
  ).lean();
  if (!reserved) throw notOpen();
  try {
    await KeyingImport.create({ ...key, format, firstSeq: reserved.nextSeq, count: checked.count });
    return { firstSeq: reserved.nextSeq, round };
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    const winner = await KeyingImport.findOne(key).lean();
    if (!winner) throw err;
    return { firstSeq: winner.firstSeq, round };
  }
}

/** Insert a chunk; rows already there (the same file imported before) are left as they are. */
async function insertChunkOf(docs: Record<string, unknown>[]): Promise<void> {
  try {
    await scopedCollection(KeyedRecord).insertMany(docs, { ordered: false });
  } catch (err) {
    const duplicatesOnly =
      err instanceof MongoBulkWriteError &&
      (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]).every((e) => e.code === 11000);
    if (duplicatesOnly || (err instanceof MongoServerError && err.code === 11000)) return;
    throw err;
  }
}

/** The batch a file would go into: found, permitted and open (an adapter asks before reading a body). */
export async function checkImportTarget(ctx: Ctx, ticketRef: string) {
  const loaded = await loadBatch(ctx, ticketRef, 'quality.exchange');
  if (!(openStates as readonly string[]).includes(loaded.batch.state)) throw notOpen();
  return loaded;
}

/**
 * Import records from a CSV or XLSX file (record-files.ts). Every row is validated like a keyed
 * record, in the importer's locale; when any row is refused nothing is stored and the report
 * names each refusal by row and field. The file is streamed twice, one row in memory at a time:
 * once to check it, once to insert its rows (in chunks of a thousand, unordered). The same file
 * imported again in the same round adds nothing twice (models/keying-import.ts).
 */
export async function importRecordFile(ctx: Ctx, ticketRef: string, file: RecordFile): Promise<ImportReport> {
  const { ticket, batch, layout } = await checkImportTarget(ctx, ticketRef);
  const locale = localeOf(ctx);
  const checked = await checkFile(layout, file, locale);
  if (checked.errors.length > 0) return { imported: 0, errors: checked.errors };
  const { firstSeq, round } = await reserveNumbers(ticket, batch._id, batch.round, checked, file.format);
  const keyedBy = personOf(ctx);
  const keyedAt = new Date();
  let chunk: Record<string, unknown>[] = [];
  let index = 0;
  for await (const { check } of checkedRows(layout, file, locale)) {
    if (!check.ok) continue;
    chunk.push({
      tenantId: ticket.tenantId,
      ticketId: ticket._id,
      seq: firstSeq + index,
      values: check.values,
      keyedBy,
      keyedAt,
      round,
    });
    index += 1;
    if (chunk.length >= insertChunk) {
      await insertChunkOf(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await insertChunkOf(chunk);
  return { imported: checked.count, errors: [] };
}

/** A file held in memory (the keying page's upload), its format told by its first bytes. */
export function recordFileOf(bytes: Buffer): RecordFile {
  return { format: recordFileFormat(bytes), open: () => Readable.from([bytes], { objectMode: false }) };
}

/** Import records from CSV text (tests). */
export function importRecords(ctx: Ctx, ticketRef: string, csv: string | Buffer): Promise<ImportReport> {
  const bytes = typeof csv === 'string' ? Buffer.from(csv, 'utf8') : csv;
  return importRecordFile(ctx, ticketRef, {
    format: 'csv',
    open: () => Readable.from([bytes], { objectMode: false }),
  });
}
