import { z } from 'zod';
import { toAppError } from '../../errors/normalize.js';
import { isStaff, type Ctx } from '../context.js';
import type { IncomingFile } from '../tickets/attachments.js';
import { moveTicket } from '../tickets/lifecycle.js';
import { replyStatuses, type ReplyStatus } from '../tickets/page-flags.js';
import { addReply } from '../tickets/replies.js';
import { replySchema } from '../tickets/schemas.js';
import { claimOnReply } from './claims.js';

/** A reply or note, and what to set the status to once it is sent (empty: leave it). */
export const replyAndSetStatusSchema = replySchema.extend({
  then: z
    .enum([...replyStatuses, ''])
    .optional()
    .transform((v) => (v ? v : undefined)),
});
export type ReplyAndSetStatusInput = z.infer<typeof replyAndSetStatusSchema>;

export interface StatusOutcome {
  to: ReplyStatus;
  done: boolean;
  /** Why it was not done (an error's translation key and parameters). */
  refused?: { code: string; messageKey: string; params: Record<string, string | number> };
}

/**
 * Send a reply or an internal note and, in the same action, take the ticket (a staff member's
 * public reply to an unassigned ticket) and set its status. Written in that order, each step
 * complete in itself: the reply first (refused as a whole if it cannot be sent), then the claim
 * (conditional on nobody having the ticket), then the status change, conditional on the version
 * this action left, so a change someone made meanwhile is never overwritten. A refused status
 * change leaves the reply standing and says so in `status`; a crash between the writes leaves a
 * sent reply whose status can still be set by hand.
 */
export async function replyAndSetStatus(
  ctx: Ctx,
  ref: string,
  input: ReplyAndSetStatusInput,
  files: IncomingFile[] = [],
  options: { entryData?: Record<string, unknown> } = {},
) {
  const sent = await addReply(ctx, ref, input, files, options);
  let ticket = sent.ticket;
  let assigned = false;
  if (!input.internal && isStaff(ctx.actor) && !ticket.assignee) {
    const claimed = await claimOnReply(ctx, ticket);
    if (claimed) {
      ticket = claimed;
      assigned = true;
    }
  }
  let status: StatusOutcome | null = null;
  if (input.then) {
    const to = input.then;
    try {
      // Refused unless this caller may make the move from the status the reply left (movesFor).
      ticket = await moveTicket(ctx, ticket, to, { version: ticket.version });
      status = { to, done: true };
    } catch (err) {
      const refused = toAppError(err);
      if (refused.code === 'internal') throw err;
      status = {
        to,
        done: false,
        refused: { code: refused.code, messageKey: refused.messageKey, params: refused.params },
      };
    }
  }
  return { ticket, entry: sent.entry, assigned, status };
}
