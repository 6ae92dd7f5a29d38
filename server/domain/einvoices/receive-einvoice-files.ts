import type { Ctx } from '../context.js';
import type { IncomingFile } from '../tickets/attachments.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { EInvoiceReceipt } from './receive-einvoice.js';
import { receiveEInvoiceBatch } from './receive-einvoice-batch.js';

/**
 * The invoice form's e-invoice upload: several files (each an XML, a `.p7m` or a ZIP) sent at
 * once. Each file goes through the one intake on its own (same ids, same duplicate rule,
 * idempotent by content), pipelined (receive-einvoice-batch.ts: the next files read and validated
 * while one's tickets are written, tickets in the files' order), so a refused file never stops the
 * others: its error is kept with its name and shown beside the tickets the other files opened.
 */
export interface FileOutcome {
  filename: string;
  receipt: EInvoiceReceipt | null;
  error: AppError | null;
}

export async function receiveEInvoiceFiles(ctx: Ctx, files: IncomingFile[]): Promise<FileOutcome[]> {
  requirePermission(ctx, 'tickets.open');
  if (files.length === 0)
    throw new AppError('validation', 'no e-invoice file', {
      messageKey: 'einvoiceform.no_files',
      fields: [{ path: 'einvoices', key: 'einvoiceform.no_files' }],
    });
  const refused = (err: unknown): err is AppError =>
    err instanceof AppError && (err.code === 'validation' || err.code === 'payload_too_large');
  const results = await receiveEInvoiceBatch(ctx, files, {
    channel: 'portal',
    stopOn: (err) => !refused(err),
  });
  return results.map((r, i) => ({
    filename: files[i]!.filename,
    receipt: r.receipt,
    error: r.receipt ? null : (r.error as AppError),
  }));
}
