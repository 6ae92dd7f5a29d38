import type { Ctx } from '../context.js';
import type { IncomingFile } from '../tickets/attachments.js';
import {
  commitEInvoice,
  prepareEInvoice,
  type EInvoiceReceipt,
  type ReceiveOptions,
} from './receive-einvoice.js';

/**
 * Several e-invoice files received together (the form's files, a mail's attachments, a bench's
 * batch): each goes through the one intake (`prepareEInvoice` then `commitEInvoice`, exactly what
 * `receiveEInvoice` does), pipelined. While one file's tickets are written, the next
 * `batchIntake.ahead` files are read and validated (the validator process answers several requests
 * at once), so the portal's work, the validator's and the database's overlap. The writes stay one
 * file after the other, in the order given: ticket numbers follow the files' order, as they did
 * one by one, and a file's crash-safety is the same as alone.
 *
 * Each file's result is its receipt or the error its intake threw, in the order of the files; the
 * caller decides which errors stop the batch (a later file's writes are then not started).
 */
export const batchIntake = { ahead: 3 };

export type BatchResult = { receipt: EInvoiceReceipt; error: null } | { receipt: null; error: unknown };

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

export async function receiveEInvoiceBatch(
  ctx: Ctx,
  files: IncomingFile[],
  opts: ReceiveOptions & {
    /** Errors that stop the batch (thrown) instead of being that file's result. */
    stopOn?: (err: unknown) => boolean;
    /** Called as each file's result is known, in order (a bench's progress). */
    onDone?: (index: number) => void;
  } = {},
): Promise<BatchResult[]> {
  // A file's reading is let go once it is written: memory holds `ahead` files, not the batch.
  const prepared: (Promise<Settled<Awaited<ReturnType<typeof prepareEInvoice>>>> | null)[] = [];
  const prepare = (i: number) => {
    const file = files[i];
    if (file && prepared[i] === undefined)
      prepared[i] = settle(prepareEInvoice(ctx, { filename: file.filename }, file.buffer));
  };
  const ahead = Math.max(1, batchIntake.ahead);
  for (let i = 0; i < Math.min(ahead, files.length); i++) prepare(i);
  const results: BatchResult[] = [];
  for (let i = 0; i < files.length; i++) {
    prepare(i);
    const p = (await prepared[i])!;
    prepared[i] = null;
    prepare(i + ahead);
    const done = p.ok ? await settle(commitEInvoice(ctx, p.value, opts)) : p;
    if (!done.ok && opts.stopOn?.(done.error)) {
      // The files being read ahead finish (nothing of theirs is written) before the error goes up.
      await Promise.all(prepared.slice(i + 1));
      throw done.error;
    }
    opts.onDone?.(i);
    results.push(done.ok ? { receipt: done.value, error: null } : { receipt: null, error: done.error });
  }
  return results;
}
