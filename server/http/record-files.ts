import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { checkRecordsExport, exportRecords, writeRecordsXlsx } from '../domain/quality/export-records.js';
import { checkImportTarget, importRecordFile, type ImportReport } from '../domain/quality/import-records.js';
import {
  maxRecordFileBytes,
  recordFileFormat,
  recordFileTypes,
  type RecordFileFormat,
} from '../domain/quality/record-files.js';
import { AppError } from '../errors/app-error.js';

/**
 * Record files of a keying batch over HTTP (the keying page and the REST API): the export
 * streamed to the response as it is read, and a request body received into a temporary file
 * (within `maxRecordFileBytes`), so neither way holds a large batch in memory. The rules are the
 * domain's (import-records.ts, export-records.ts, record-files.ts).
 */

/** Send the batch's records as CSV or XLSX (found and permitted before a byte is sent). */
export async function sendRecordsExport(
  req: Request,
  res: Response,
  format: RecordFileFormat,
): Promise<void> {
  const ref = String(req.params.ref);
  const { ticketNumber } = await checkRecordsExport(req.ctx, ref);
  res.set({
    'Content-Type': recordFileTypes[format],
    'Content-Disposition': `attachment; filename="${ticketNumber.replace(/[^A-Za-z0-9-]/g, '')}-records.${format}"`,
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  try {
    if (format === 'xlsx') {
      await writeRecordsXlsx(req.ctx, ref, res);
      return;
    }
    for await (const line of exportRecords(req.ctx, ref))
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
    res.end();
  } catch (err) {
    // Headers (and perhaps rows) are out: cut the download so it cannot pass for a whole file.
    if (res.headersSent) return void res.destroy(err as Error);
    throw err;
  }
}

const tooLarge = () =>
  new AppError('payload_too_large', 'record file too large', {
    messageKey: 'attachments.too_large',
    params: { name: 'file', max: Math.round(maxRecordFileBytes / 1024 / 1024) },
  });

/** The content types a record file is sent as (the body is the file). */
export const recordFileContentTypes = ['text/csv', recordFileTypes.xlsx, 'application/octet-stream'];

/**
 * Import the request body (the file itself) into the ticket's batch: received into a temporary
 * file within the cap (413 beyond it), the format told by its first bytes, then read from disk
 * by the domain (twice), and removed.
 */
export async function importRequestBody(req: Request): Promise<ImportReport> {
  // The ticket and its open batch first: a foreign ticket or a closed batch costs no upload.
  await checkImportTarget(req.ctx, String(req.params.ref));
  if (!req.is(recordFileContentTypes))
    throw new AppError('unsupported_media_type', 'not a record file type', {
      messageKey: 'limits.unsupported_encoding',
    });
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > maxRecordFileBytes) throw tooLarge();
  const dir = await mkdtemp(join(tmpdir(), 'records-'));
  const path = join(dir, 'upload');
  try {
    let size = 0;
    let head: Buffer = Buffer.alloc(0);
    const counted = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        // Over the cap: the rest is read and dropped (the answer is a 413, not a reset).
        if (size > maxRecordFileBytes) return cb();
        if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4)]);
        cb(null, chunk);
      },
    });
    await pipeline(req, counted, createWriteStream(path));
    if (size > maxRecordFileBytes) throw tooLarge();
    if (size === 0)
      throw new AppError('validation', 'no file', {
        fields: [{ path: 'file', key: 'keying_files.errors.file_required' }],
      });
    return await importRecordFile(req.ctx, String(req.params.ref), {
      format: recordFileFormat(head),
      open: () => createReadStream(path),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
