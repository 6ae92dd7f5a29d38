import { parse } from 'csv-parse/sync';
import { fileTypeFromBuffer } from 'file-type';
import { Types } from 'mongoose';
import { ImportBatch } from '../../../models/import-batch.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { fieldsFromZod } from '../../errors/normalize.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { clientTenantId, createTicket } from './create.js';
import { parseCsvCount } from './numbers.js';
import { ticketInputSchema, type TicketInput } from './schemas.js';

/**
 * Bulk import of data-entry tickets from a CSV file (issue 4).
 *
 * The file: UTF-8 (a BOM is fine), separated by `,` or `;` (Italian and Danish Excel write `;`;
 * a tab, or an Excel `sep=` first line, works too), the first row naming the columns. Column
 * names are matched case-insensitively, ignoring spaces, `_`, `-` and `.`; unknown columns
 * are ignored (and listed on the preview).
 *
 * | column               | required | meaning                                              |
 * | -------------------- | -------- | ---------------------------------------------------- |
 * | subject              | yes      | ticket subject, 3-200 characters                     |
 * | description          | no       | free text, up to 20,000 characters                   |
 * | priority             | no       | low, normal, high, urgent (empty: normal)            |
 * | batchDescription     | yes      | what to enter, 2-2000 characters                     |
 * | targetSystem         | yes      | the system the records go into, 1-120 characters     |
 * | expectedRecordCount  | yes      | whole number, 0-100,000,000 (1.200 / 1,200 accepted) |
 * | tags                 | no       | separated by `,` or `|`, at most 20                  |
 *
 * Rows are validated with the portal's own `ticketInputSchema` (type data_entry). Row numbers
 * are spreadsheet rows: the header is row 1, the first data row row 2.
 */
export const csvImportLimits = {
  maxBytes: 2 * 1024 * 1024,
  maxRows: 1000,
  /** How long a preview waits for its confirmation. */
  previewTtlMs: 60 * 60 * 1000,
  /** How long the result page of a committed import stays available. */
  resultTtlMs: 24 * 60 * 60 * 1000,
} as const;

export const csvColumns = [
  'subject',
  'description',
  'priority',
  'batchDescription',
  'targetSystem',
  'expectedRecordCount',
  'tags',
] as const;
export type CsvColumn = (typeof csvColumns)[number];
export const requiredCsvColumns: readonly CsvColumn[] = [
  'subject',
  'batchDescription',
  'targetSystem',
  'expectedRecordCount',
];

/** Other header names accepted for each column (English, Italian, Danish), compared normalised. */
export const csvColumnAliases: Record<CsvColumn, readonly string[]> = {
  subject: ['title', 'oggetto', 'titolo', 'emne', 'titel'],
  description: ['notes', 'descrizione', 'note', 'beskrivelse', 'noter'],
  priority: ['priorità', 'priorita', 'prioritet'],
  batchDescription: ['batch', 'batch description', 'descrizione lotto', 'lotto', 'batchbeskrivelse', 'parti'],
  targetSystem: ['system', 'target', 'sistema', 'sistema di destinazione', 'målsystem', 'malsystem'],
  expectedRecordCount: [
    'expected records',
    'records',
    'record count',
    'numero record',
    'record attesi',
    'antal poster',
    'forventede poster',
    'poster',
  ],
  tags: ['tag', 'labels', 'etichette', 'mærker'],
};

const normaliseHeader = (name: string): string =>
  name
    .normalize('NFC')
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');

const headerLookup = new Map<string, CsvColumn>(
  csvColumns.flatMap((column) =>
    [column, ...csvColumnAliases[column]].map(
      (alias) => [normaliseHeader(alias), column] as [string, CsvColumn],
    ),
  ),
);

/** Priorities as people write them in the three portal languages. */
const priorityAliases = new Map<string, string>(
  Object.entries({
    low: ['low', 'bassa', 'lav'],
    normal: ['normal', 'normale', 'medium', 'media', 'middel'],
    high: ['high', 'alta', 'høj', 'hoej'],
    urgent: ['urgent', 'urgente', 'akut'],
  }).flatMap(([priority, names]) => names.map((n) => [n, priority] as [string, string])),
);

export type Delimiter = ',' | ';' | '\t';

export interface RowError {
  row: number;
  /** A canonical column, or '' when the message is about the whole row. */
  column: CsvColumn | '';
  key: string;
  params: Record<string, string | number>;
}

export interface PreviewRow {
  row: number;
  values: Partial<Record<CsvColumn, string>>;
  input: TicketInput | null;
  valid: boolean;
}

export interface CsvPreview {
  delimiter: Delimiter;
  columns: CsvColumn[];
  ignoredColumns: string[];
  rows: PreviewRow[];
  errors: RowError[];
  validCount: number;
  invalidCount: number;
}

export interface UploadedCsv {
  filename: string;
  buffer: Buffer;
}

/** A refusal of the whole file: shown next to the upload field. */
export function fileError(
  key: string,
  params: Record<string, string | number> = {},
  code: 'validation' | 'payload_too_large' = 'validation',
): AppError {
  return new AppError(code, `csv import refused: ${key}`, {
    messageKey: key,
    params,
    fields: [{ path: 'file', key, params }],
  });
}

/** The text of the upload, or a refusal: empty, too large, binary (not a CSV) or not UTF-8. */
export async function decodeCsv(buffer: Buffer): Promise<string> {
  if (buffer.length === 0) throw fileError('import.errors.empty');
  if (buffer.length > csvImportLimits.maxBytes)
    throw fileError(
      'import.errors.too_large',
      { max: csvImportLimits.maxBytes / 1024 / 1024 },
      'payload_too_large',
    );
  if (buffer.includes(0) || (await fileTypeFromBuffer(buffer))) throw fileError('import.errors.not_csv');
  let text: string;
  try {
    // The decoder drops a leading UTF-8 BOM.
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw fileError('import.errors.not_utf8');
  }
  if (!text.trim()) throw fileError('import.errors.empty');
  return text;
}

/** The separator: an Excel `sep=` line if there is one, else the most frequent of `;` `,` tab in the header row. */
export function detectDelimiter(text: string): { delimiter: Delimiter; skipFirstLine: boolean } {
  const sep = /^sep=([,;\t])\r?\n/i.exec(text);
  if (sep) return { delimiter: sep[1] as Delimiter, skipFirstLine: true };
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch as Delimiter] += 1;
  }
  const best = (Object.entries(counts) as Array<[Delimiter, number]>).sort((a, b) => b[1] - a[1])[0];
  return { delimiter: best && best[1] > 0 ? best[0] : ',', skipFirstLine: false };
}

/** Validate one row with the portal's ticket schema; messages are translation keys. */
export function validateRow(
  row: number,
  values: Partial<Record<CsvColumn, string>>,
): { input: TicketInput | null; errors: RowError[] } {
  const cell = (column: CsvColumn): string | undefined => {
    const v = values[column]?.trim();
    return v ? v : undefined;
  };
  const priority = cell('priority')?.toLowerCase();
  const tags = cell('tags');
  const count = cell('expectedRecordCount');
  const candidate = {
    type: 'data_entry',
    subject: cell('subject') ?? '',
    description: cell('description'),
    priority: priority === undefined ? undefined : (priorityAliases.get(priority) ?? priority),
    tags: tags === undefined ? [] : tags.split(/[,|]/),
    fields: {
      batchDescription: cell('batchDescription') ?? '',
      targetSystem: cell('targetSystem') ?? '',
      // 1.200 (Italian, Danish) or 1,200 (English): thousands separators, a count has no decimals.
      // Anything else stays text and is refused (never read as 0 or as hex).
      expectedRecordCount: count === undefined ? undefined : (parseCsvCount(count) ?? count),
    },
  };
  const parsed = ticketInputSchema.safeParse(candidate);
  if (parsed.success) return { input: parsed.data, errors: [] };
  const seen = new Set<string>();
  const errors: RowError[] = [];
  for (const f of fieldsFromZod(parsed.error)) {
    const first = f.path.replace(/^fields\./, '').split('.')[0] ?? '';
    const column: CsvColumn | '' = (csvColumns as readonly string[]).includes(first)
      ? (first as CsvColumn)
      : '';
    if (seen.has(column)) continue;
    seen.add(column);
    let key = f.key;
    if (column === 'priority' && key === 'validation.invalid_choice') key = 'import.errors.priority';
    // A non-empty cell that is not a whole number (zod reports it as a type error).
    if (
      column === 'expectedRecordCount' &&
      count !== undefined &&
      (key === 'validation.required' || key === 'exact.number' || key === 'validation.invalid_type')
    )
      key = 'import.errors.whole_number';
    errors.push({ row, column, key, params: f.params ?? {} });
  }
  return { input: null, errors };
}

/** Parse and validate a whole file; throws a file-level refusal, or returns the preview. */
export async function buildPreview(buffer: Buffer): Promise<CsvPreview> {
  const text = await decodeCsv(buffer);
  const { delimiter, skipFirstLine } = detectDelimiter(text);
  let records: string[][];
  try {
    records = parse(skipFirstLine ? text.replace(/^[^\n]*\n/, '') : text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      max_record_size: csvImportLimits.maxBytes,
    }) as string[][];
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? 0;
    throw fileError('import.errors.unreadable', { line });
  }
  const isBlank = (record: string[]): boolean => record.every((c) => !c.trim());
  const headerIndex = records.findIndex((r) => !isBlank(r));
  const header = records[headerIndex];
  if (!header) throw fileError('import.errors.empty');

  const columnAt = new Map<number, CsvColumn>();
  const ignoredColumns: string[] = [];
  for (const [index, name] of header.entries()) {
    const column = headerLookup.get(normaliseHeader(name));
    if (!column) {
      if (name.trim()) ignoredColumns.push(name.trim());
      continue;
    }
    if ([...columnAt.values()].includes(column))
      throw fileError('import.errors.duplicate_column', { name: column });
    columnAt.set(index, column);
  }
  const present = new Set(columnAt.values());
  const missing = requiredCsvColumns.filter((c) => !present.has(c));
  if (missing.length) throw fileError('import.errors.missing_columns', { names: missing.join(', ') });

  const data = records.slice(headerIndex + 1).map((record, i) => ({ record, row: headerIndex + i + 2 }));
  const nonBlank = data.filter((d) => !isBlank(d.record));
  if (nonBlank.length === 0) throw fileError('import.errors.no_rows');
  if (nonBlank.length > csvImportLimits.maxRows)
    throw fileError('import.errors.too_many_rows', { count: nonBlank.length, max: csvImportLimits.maxRows });

  const rows: PreviewRow[] = [];
  const errors: RowError[] = [];
  for (const { record, row } of nonBlank) {
    const values: Partial<Record<CsvColumn, string>> = {};
    for (const [index, column] of columnAt) values[column] = record[index] ?? '';
    const result = validateRow(row, values);
    const rowErrors = [...result.errors];
    if (record.slice(header.length).some((c) => c.trim())) {
      rowErrors.push({
        row,
        column: '',
        key: 'import.errors.extra_cells',
        params: { count: record.length, columns: header.length },
      });
    }
    const valid = rowErrors.length === 0;
    rows.push({ row, values, input: valid ? result.input : null, valid });
    errors.push(...rowErrors);
  }
  const validCount = rows.filter((r) => r.valid).length;
  return {
    delimiter,
    columns: csvColumns.filter((c) => present.has(c)),
    ignoredColumns,
    rows,
    errors,
    validCount,
    invalidCount: rows.length - validCount,
  };
}

function creatorId(ctx: Ctx): Types.ObjectId {
  const a = ctx.actor;
  if (a.kind === 'user' || a.kind === 'api') return new Types.ObjectId(a.userId);
  throw new AppError('forbidden', 'only client accounts import tickets');
}

/** A batch is seen by the person who uploaded it, inside their tenant; anything else is "not found". */
function batchFilter(ctx: Ctx, id: string) {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) throw notFound('import batch');
  return { ...scopeFilter(ctx), _id: new Types.ObjectId(id), 'createdBy.id': creatorId(ctx) };
}

/** Parse an upload and keep its preview for confirmation; returns the stored batch. */
export async function createImportPreview(ctx: Ctx, file: UploadedCsv) {
  requirePermission(ctx, 'tickets.open');
  const tenantId = new Types.ObjectId(clientTenantId(ctx));
  const preview = await buildPreview(file.buffer);
  const name = ctx.actor.kind === 'user' || ctx.actor.kind === 'api' ? ctx.actor.name : '';
  const batch = await ImportBatch.create({
    tenantId,
    createdBy: { id: creatorId(ctx), name },
    filename: file.filename.replace(/^.*[\\/]/, '').slice(0, 200),
    delimiter: preview.delimiter,
    columns: preview.columns,
    ignoredColumns: preview.ignoredColumns,
    status: 'draft',
    rows: preview.rows,
    rowErrors: preview.errors,
    validCount: preview.validCount,
    invalidCount: preview.invalidCount,
    expiresAt: new Date(Date.now() + csvImportLimits.previewTtlMs),
  });
  ctx.log.info(
    { batch: String(batch._id), rows: preview.rows.length, valid: preview.validCount },
    'csv import previewed',
  );
  return batch.toObject();
}

/** One of the caller's batches; a draft past its expiry is gone for them. */
export async function getImportBatch(ctx: Ctx, id: string, now = new Date()) {
  requirePermission(ctx, 'tickets.open');
  const batch = await ImportBatch.findOne(batchFilter(ctx, id)).lean();
  if (!batch) throw notFound('import batch');
  if (batch.expiresAt.getTime() <= now.getTime()) {
    throw new AppError('not_found', 'import batch expired', { messageKey: 'import.errors.expired' });
  }
  return batch;
}

const PROGRESS_SLICE = 50;

/**
 * Create one ticket per valid row, once. One atomic conditional update (draft -> committing)
 * picks the single committer; a second click or tab finds the batch already taken and just
 * gets it back. Rows with errors are never created.
 */
export async function commitImportBatch(ctx: Ctx, id: string) {
  requirePermission(ctx, 'tickets.open');
  const filter = batchFilter(ctx, id);
  const now = new Date();
  const claimed = await ImportBatch.findOneAndUpdate(
    { ...filter, status: 'draft', expiresAt: { $gt: now }, validCount: { $gt: 0 } },
    {
      $set: {
        status: 'committing',
        committingAt: now,
        expiresAt: new Date(now.getTime() + csvImportLimits.resultTtlMs),
      },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!claimed) {
    const current = await getImportBatch(ctx, id, now);
    if (current.status === 'draft')
      throw new AppError('conflict', 'nothing to import', { messageKey: 'import.errors.nothing_to_create' });
    return current;
  }

  // Progress is written in slices: every update rewrites the whole (up to a few MB) document.
  let pending: Record<string, string> = {};
  let pendingNumbers: string[] = [];
  const created: string[] = [];
  const flush = async (extra: Record<string, unknown> = {}) => {
    await ImportBatch.updateOne(filter, {
      $set: { ...pending, ...extra },
      $push: { createdNumbers: { $each: pendingNumbers } },
    });
    pending = {};
    pendingNumbers = [];
  };
  try {
    for (const [index, row] of claimed.rows.entries()) {
      if (!row.valid || !row.input) continue;
      const ticket = await createTicket(ctx, ticketInputSchema.parse(row.input), 'import');
      created.push(ticket.number);
      pending[`rows.${index}.ticketNumber`] = ticket.number;
      pendingNumbers.push(ticket.number);
      if (pendingNumbers.length >= PROGRESS_SLICE) await flush();
    }
  } catch (err) {
    ctx.log.error({ err, batch: id, created: created.length }, 'csv import stopped by an error');
    await flush({ status: 'failed', committedAt: new Date() });
    return getImportBatch(ctx, id);
  }
  await flush({ status: 'committed', committedAt: new Date() });
  ctx.log.info({ batch: id, created: created.length }, 'csv import committed');
  return getImportBatch(ctx, id);
}

/** Maintenance: delete batches past their expiry, across tenants. */
export async function purgeExpiredImportBatches(now = new Date()): Promise<number> {
  const res = await ImportBatch.deleteMany({ expiresAt: { $lt: now } }).setOptions({ allTenants: true });
  return res.deletedCount;
}

/** The downloadable template: the header and one example row, in the reader's separator. */
export function csvTemplate(delimiter: Delimiter, example: Record<CsvColumn, string>): string {
  const quote = (v: string): string => (/["\r\n,;\t]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [csvColumns.join(delimiter), csvColumns.map((c) => quote(example[c])).join(delimiter)];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
