import { Types } from 'mongoose';
import { MacroUsage, type MacroStatus } from '../../../models/macro.js';
import { AppError } from '../../errors/app-error.js';
import type { Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { replyAndSetStatus } from '../queues/reply-and-set-status.js';
import { moveTicket } from '../tickets/lifecycle.js';
import { mayReply } from '../tickets/page-flags.js';
import { updateTicket } from '../tickets/update.js';
import { previewMacro } from './render-macro.js';

/** Count one use of a macro by this person: one atomic upsert, so concurrent applies all count. */
async function countUse(ctx: Ctx, macroId: Types.ObjectId): Promise<void> {
  if (ctx.actor.kind !== 'user') return;
  await MacroUsage.updateOne(
    { userId: new Types.ObjectId(ctx.actor.userId), macroId },
    { $inc: { count: 1 }, $set: { lastUsedAt: new Date() } },
    { upsert: true },
  );
}

/**
 * Apply a macro to a ticket: its changes and its reply, in the requester's language with the
 * ticket's values, as ONE timeline entry (the reply, recording the macro and every change).
 *
 * Refused before anything is written when a placeholder has no value on this ticket, when the
 * ticket takes no reply, or when its status move is not one the caller may make now. Then, each
 * write complete in itself and made by the ticket operations every other path uses: the type
 * fields, priority and tags (tickets/update.ts, conditional on the version read), the status
 * (tickets/lifecycle.ts, conditional on the version that left), and last the reply through the
 * one-step reply path (queues/reply-and-set-status.ts: the first response, taking an unassigned
 * ticket, the requester's mail). A crash between them leaves changes made but no reply yet
 * (recorded in the audit log); applying the macro again completes it, as the changes already
 * made are no changes any more.
 */
export async function applyMacro(ctx: Ctx, ref: string, macroId: string, readerLocale: Locale) {
  const preview = await previewMacro(ctx, ref, macroId, readerLocale);
  const { ticket, macro, missing, changes } = preview;
  if (missing.length)
    throw new AppError('validation', 'macro placeholders without a value', {
      messageKey: 'macros.missing_values',
      params: { names: missing.join(', ') },
      fields: [{ path: 'macroId', key: 'macros.missing_values', params: { names: missing.join(', ') } }],
    });
  if (!mayReply(ticket)) throw new AppError('conflict', 'ticket is closed', { messageKey: 'tickets.closed' });
  const statusChange = changes.find((c) => c.field === 'status');
  if (!preview.statusAllowed)
    throw new AppError('conflict', 'macro status move not allowed', {
      messageKey: 'tickets.bad_transition',
      params: { from: ticket.status, to: String(statusChange?.to) },
    });
  let current = ticket;
  const edits = changes.filter((c) => c.field !== 'status');
  if (edits.length) {
    const fields = Object.fromEntries(
      edits.filter((c) => c.field.startsWith('fields.')).map((c) => [c.field.slice(7), c.to]),
    );
    current = await updateTicket(
      ctx,
      String(ticket._id),
      {
        ...(edits.some((c) => c.field === 'priority') ? { priority: macro.priority ?? undefined } : {}),
        ...(edits.some((c) => c.field === 'tags')
          ? { tags: edits.find((c) => c.field === 'tags')?.to as string[] }
          : {}),
        ...(Object.keys(fields).length ? { fields } : {}),
      },
      { timeline: false },
    );
  }
  // A new ticket the reply opens: the move is the macro's entry's too, not an entry of its own.
  const to = (statusChange?.to as MacroStatus | undefined) ?? (current.status === 'new' ? 'open' : null);
  const recorded = [...changes];
  if (to && to !== current.status) {
    if (!statusChange) recorded.unshift({ field: 'status', from: current.status, to });
    current = await moveTicket(ctx, current, to, { version: current.version, timeline: false });
  }
  const sent = await replyAndSetStatus(
    ctx,
    String(ticket._id),
    { body: preview.text, internal: false, confirm: false, then: undefined },
    [],
    {
      entryData: {
        macro: { id: String(macro._id), name: macro.name },
        changes: recorded,
      },
    },
  );
  await countUse(ctx, macro._id);
  return { ...sent, macro, changes: recorded, locale: preview.locale };
}
