import { KeyedRecord } from '../../../models/quality.js';
import type { Ctx } from '../context.js';
import { loadBatch } from './batch.js';

/** One CSV cell (RFC 4180): quoted when it holds a delimiter, a quote or a line break. */
function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",;\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The batch's records as CSV for the client: a header of the layout's field keys, then one line
 * per record in record order, the columns in the layout's order, values as stored (dates
 * YYYY-MM-DD, numbers with a point, codes as the layout spells them). Read with a cursor, so a
 * large batch is streamed, not held. XLSX is not written: no spreadsheet package is installed.
 */
export async function* exportRecords(ctx: Ctx, ticketRef: string): AsyncGenerator<string> {
  const { ticket, layout } = await loadBatch(ctx, ticketRef);
  const keys = layout.fields.map((f) => f.key);
  yield `${keys.map(cell).join(',')}\r\n`;
  const cursor = KeyedRecord.find({ tenantId: ticket.tenantId, ticketId: ticket._id })
    .sort({ seq: 1 })
    .lean()
    .cursor();
  for await (const record of cursor) {
    const values = (record.values ?? {}) as Record<string, unknown>;
    yield `${keys.map((k) => cell(values[k])).join(',')}\r\n`;
  }
}

/** The whole export as one string (small batches, tests). */
export async function exportRecordsText(ctx: Ctx, ticketRef: string): Promise<string> {
  let out = '';
  for await (const line of exportRecords(ctx, ticketRef)) out += line;
  return out;
}
