import type { Ctx } from '../context.js';
import type { IncomingFile } from '../tickets/attachments.js';
import {
  commitEInvoiceGroup,
  joinsGroup,
  prepareEInvoice,
  type EInvoiceReceipt,
  type PreparedEInvoice,
  type ReceiveOptions,
} from './receive-einvoice.js';

/**
 * Several e-invoice files received together (the form's files, a mail's attachments, a bench's
 * batch): each goes through the one intake (`prepareEInvoice` then the writes of `commitEInvoice`,
 * exactly what `receiveEInvoice` does), pipelined. While files are written, the next
 * `batchIntake.ahead` files are read and validated (the validator process answers several requests
 * at once), so the portal's work, the validator's and the database's overlap.
 *
 * The files found read when the writing comes to them are written together as a group
 * (`commitEInvoiceGroup`: one query, one counter `$inc` numbering their tickets in the files'
 * order, then each kind of write as one command for the group), up to `batchIntake.group` files;
 * a file whose outcome could depend on which lands first (the same bytes or invoice as one of the
 * group, a credit note: `joinsGroup`) starts the next group. Ticket numbers follow the files'
 * order, and each file's crash-safety is the same as alone.
 *
 * Each file's result is its receipt or the error its intake threw, in the order of the files; the
 * caller decides which errors stop the batch (the files of later groups are then not written; the
 * others of the same group were written alongside).
 */
export const batchIntake = { ahead: 6, group: 8 };

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
  // A file's reading is let go once it is written: memory holds `ahead` files (and the group being
  // written), not the batch.
  const prepared: (Promise<Settled<PreparedEInvoice>> | null)[] = [];
  const ready: (Settled<PreparedEInvoice> | undefined)[] = [];
  const prepare = (i: number) => {
    const file = files[i];
    if (file && prepared[i] === undefined)
      prepared[i] = settle(prepareEInvoice(ctx, { filename: file.filename }, file.buffer)).then((p) => {
        ready[i] = p;
        return p;
      });
  };
  const ahead = Math.max(1, batchIntake.ahead);
  for (let i = 0; i < Math.min(ahead, files.length); i++) prepare(i);
  const results: BatchResult[] = [];
  let i = 0;
  while (i < files.length) {
    prepare(i);
    const first = (await prepared[i])!;
    // The group: this file and the next ones already read, while they can go together.
    const members: number[] = [i];
    if (first.ok) {
      const group = [first.value];
      for (let j = i + 1; j < files.length && members.length < Math.max(1, batchIntake.group); j++) {
        const next = ready[j];
        if (!next?.ok || !joinsGroup(group, next.value)) break;
        group.push(next.value);
        members.push(j);
      }
    }
    for (const m of members) prepared[m] = null;
    for (let k = 0; k < members.length; k++) prepare(i + k + ahead);
    const done: Settled<EInvoiceReceipt>[] = first.ok
      ? await commitEInvoiceGroup(
          ctx,
          members.map((m) => (ready[m] as { ok: true; value: PreparedEInvoice }).value),
          opts,
        )
      : [first];
    for (const [k, outcome] of done.entries()) {
      const index = members[k]!;
      ready[index] = undefined;
      if (!outcome.ok && opts.stopOn?.(outcome.error)) {
        // The files being read ahead finish (nothing of theirs is written) before the error goes up.
        await Promise.all(prepared.slice(index + 1));
        throw outcome.error;
      }
      opts.onDone?.(index);
      results.push(
        outcome.ok ? { receipt: outcome.value, error: null } : { receipt: null, error: outcome.error },
      );
    }
    i += members.length;
  }
  return results;
}
