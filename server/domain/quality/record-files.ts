import { pipeline, Readable } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Locale } from '../../i18n/i18n.js';
import type { LayoutField } from './record-layout.js';
import { orderedXlsx } from './xlsx-parts.js';

/**
 * The two file formats a batch's records travel in, read and written as streams (one row in
 * memory at a time, whatever the file's size):
 *
 * - CSV: UTF-8 (a BOM is skipped), comma or semicolon (the one the header uses more), RFC 4180
 *   quoting; every cell is text.
 * - XLSX: the first worksheet of the workbook; a cell keeps its type (text, number, date,
 *   boolean; a formula gives its cached result), so a text cell `01234567897` keeps its leading
 *   zero and a date cell is the day it shows.
 *
 * A spreadsheet runs a CSV cell that starts with = + - @ (or a tab or carriage return) as a
 * formula: the CSV export prefixes such a text with an apostrophe and the CSV import takes that
 * apostrophe off again, so the round trip is exact. XLSX needs neither: text is written as a text
 * cell, which a spreadsheet never evaluates.
 */

export type RecordFileFormat = 'csv' | 'xlsx';

/** The largest record file taken through the API (read from disk, so memory does not grow with it; keying-files.json says 100 MB). */
export const maxRecordFileBytes = 100 * 1024 * 1024;

export const recordFileTypes: Record<RecordFileFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The format of a file from its first bytes: XLSX is a ZIP (`PK\x03\x04`), anything else is read as CSV. */
export function recordFileFormat(head: Uint8Array): RecordFileFormat {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04 ? 'xlsx' : 'csv';
}

/** A cell as read: text (CSV, or an XLSX text cell), or a typed XLSX value. */
export type CellValue = string | number | boolean | Date | null;

/** One row of a file: its number in the file (the header is row 1) and its cells, left to right. */
export interface FileRow {
  row: number;
  cells: CellValue[];
}

const formulaStart = /^[=+\-@\t\r]/;

/** A text for a CSV cell that a spreadsheet will not run as a formula. */
export function neutraliseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}

/** The text a CSV export neutralised, back as it was. */
function restoreFormula(text: string): string {
  return text.startsWith("'") && formulaStart.test(text.slice(1)) ? text.slice(1) : text;
}

async function* csvRows(input: Readable): AsyncGenerator<FileRow> {
  // The delimiter is the one the header line uses more: the first line is read before parsing.
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let headText = '';
  while (!headText.includes('\n') && headText.length < 65536) {
    const next = await chunks.next();
    if (next.done) break;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    headText += chunk.toString('utf8');
  }
  const firstLine = headText.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  async function* all(): AsyncGenerator<Buffer | string> {
    yield* head;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const parser = parse({
    delimiter,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    trim: true,
  });
  pipeline(Readable.from(all()), parser, () => {});
  let n = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      yield { row: n, cells: n === 1 ? record : record.map(restoreFormula) };
      n += 1;
    }
  } finally {
    parser.destroy();
    input.destroy();
  }
}

type ExcelCell = ExcelJS.CellValue;

/** An XLSX cell's value as one of ours: a formula gives its result, rich text its text. */
function plainCell(value: ExcelCell | undefined): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value)
    return plainCell((value as { result?: ExcelCell }).result ?? null);
  if ('text' in value) return String((value as { text: unknown }).text);
  if ('error' in value) return String(value.error);
  return null;
}

async function* xlsxRows(input: Readable): AsyncGenerator<FileRow> {
  const file = await orderedXlsx(input);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file.stream, {
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  // A failure of the source ends the reader's input early: asked at every row and at the end.
  const checked = () => {
    if (file.failure()) throw file.failure();
  };
  try {
    for await (const sheet of reader) {
      for await (const row of sheet as unknown as AsyncIterable<ExcelJS.Row>) {
        checked();
        const values = row.values as ExcelCell[];
        const cells: CellValue[] = [];
        for (let c = 1; c < values.length; c += 1) cells.push(plainCell(values[c]));
        if (cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''))) continue;
        yield { row: row.number, cells };
      }
      break; // the first worksheet only
    }
    checked();
  } finally {
    await file.close();
  }
}

/** The rows of a record file, header first. Throws on a file that cannot be read as its format. */
export function readRecordRows(format: RecordFileFormat, input: Readable): AsyncGenerator<FileRow> {
  return format === 'xlsx' ? xlsxRows(input) : csvRows(input);
}

const decimalPoint: Record<Locale, string> = { en: '.', it: ',', da: ',' };

/** A number as plain digits (never an exponent), with the reader's decimal separator. */
function numberText(value: number, locale: Locale): string {
  let text = String(value);
  if (/e/i.test(text)) text = value.toFixed(20).replace(/\.?0+$/, '');
  return text.replace('.', decimalPoint[locale]);
}

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

/**
 * The text validate-record.ts checks for a cell of this field: CSV text as it is; an XLSX number
 * in a number field written in the reader's locale (its decimals kept), elsewhere as plain
 * digits; a date cell as its day (YYYY-MM-DD; spreadsheet dates have no zone); true/false as
 * TRUE/FALSE. So a typed cell gets exactly the checks (and refusals) a keyed value gets.
 */
export function cellText(value: CellValue, field: LayoutField | undefined, locale: Locale): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : isoDay(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return numberText(value, field?.type === 'number' ? locale : 'en');
}

/** A stored field value as an XLSX cell: a number stays a number, a date a date cell, the rest text. */
export function xlsxCell(field: LayoutField, value: unknown): string | number | Date | null {
  if (value === null || value === undefined || value === '') return null;
  if (field.type === 'number' && typeof value === 'number') return value;
  if (field.type === 'date' && typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (m) return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  }
  return String(value);
}
