import type { Ctx } from '../context.js';
import type { IncomingFile } from '../tickets/attachments.js';
import { AppError } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import { receiveEInvoice, type EInvoiceReceipt } from './receive-einvoice.js';

/**
 * The invoice form's e-invoice upload: several files (each an XML, a `.p7m` or a ZIP) sent at
 * once. Each file goes through `receiveEInvoice` on its own (the one intake: same ids, same
 * duplicate rule, idempotent by content), so a refused file never stops the others: its error is
 * kept with its name and shown beside the tickets the other files opened.
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
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    try {
      const receipt = await receiveEInvoice(ctx, { filename: file.filename }, file.buffer, {
        channel: 'portal',
      });
      outcomes.push({ filename: file.filename, receipt, error: null });
    } catch (err) {
      if (!(err instanceof AppError) || (err.code !== 'validation' && err.code !== 'payload_too_large'))
        throw err;
      outcomes.push({ filename: file.filename, receipt: null, error: err });
    }
  }
  return outcomes;
}
