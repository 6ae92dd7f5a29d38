import { z } from 'zod';
import { SwitchingStateModel } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { loadBatch, personOf } from './batch.js';
import { sameId } from './double-keying.js';
import { leaveReduced, type SwitchingState } from './switching.js';
import { recordSwitchingAudit, switchingRowOf } from './switching-store.js';

export const allowReducedSchema = z.object({ allow: z.boolean() });
export type AllowReducedInput = z.infer<typeof allowReducedSchema>;

/**
 * Allow or withdraw reduced inspection for a ticket's client layout (`quality.switching`). ISO
 * 2859-1 9.3.3 makes reduced inspection optional: normal moves to reduced on a switching score of
 * 30 only if production is steady and the responsible authority considers it desirable; the team
 * lead's choice stands for both (switching-store.ts reads it when a lot is applied). Withdrawing
 * it while on reduced inspection returns to normal at once (9.3.4 c, other conditions). One
 * conditional update at the version read writes the choice with who made it and when; then the
 * audit entry (`quality.reduced_allowed`, keyed by that instant). The same person making the same
 * choice again (a retry after a crash between the two) completes the audit entry.
 */
export async function allowReducedInspection(ctx: Ctx, ticketRef: string, input: AllowReducedInput) {
  const { ticket, layoutDoc } = await loadBatch(ctx, ticketRef, 'quality.switching');
  const me = personOf(ctx);
  const row = await switchingRowOf(ticket.tenantId, layoutDoc._id);
  const audit = (at: Date, switched: unknown) =>
    recordSwitchingAudit(
      ctx,
      'quality.reduced_allowed',
      { ticket, layout: layoutDoc, rowId: row._id, at },
      { allow: input.allow, ...(switched ? { switched } : {}) },
    );
  const choice = row.reducedChoice;
  if (
    row.reducedAllowed === input.allow &&
    choice?.at &&
    choice.allow === input.allow &&
    sameId(choice.by?.id, me.id)
  ) {
    await audit(choice.at, null);
    return { allow: input.allow, severity: (row.state as SwitchingState).severity };
  }
  const left = input.allow ? null : leaveReduced(row.state as SwitchingState, 'other-conditions');
  const at = new Date();
  const res = await SwitchingStateModel.updateOne(
    { tenantId: ticket.tenantId, layoutId: layoutDoc._id, version: row.version },
    {
      $set: {
        reducedAllowed: input.allow,
        reducedChoice: { allow: input.allow, by: me, at },
        ...(left?.switched ? { state: left.state } : {}),
        updatedAt: at,
      },
      $inc: { version: 1 },
    },
  );
  if (res.modifiedCount !== 1) {
    throw new AppError('conflict', 'the inspection state changed meanwhile', {
      messageKey: 'quality_ops.errors.switching_changed',
    });
  }
  await audit(at, left?.switched ?? null);
  return { allow: input.allow, severity: (left?.state ?? (row.state as SwitchingState)).severity };
}
