import { z } from 'zod';
import { SwitchingStateModel } from '../../../models/quality.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { loadBatch, personOf } from './batch.js';
import { sameId } from './double-keying.js';
import { resumeAfterDiscontinuation, type SwitchingState } from './switching.js';
import { recordSwitchingAudit, switchingRowOf } from './switching-store.js';

export const resumeInspectionSchema = z.object({
  /** What the supplier (the keying team) did about quality, as ISO 2859-1 9.4 requires before resuming. */
  correctiveAction: z.string().trim().min(10).max(2000),
});
export type ResumeInspectionInput = z.infer<typeof resumeInspectionSchema>;

/**
 * Resume the inspection of a ticket's client layout after it was stopped (discontinued: five lots
 * not accepted on tightened inspection, clause 9.4), on tightened inspection, by a team lead
 * (`quality.switching`) who states the corrective action taken. One conditional update at the
 * version read, only while the state is discontinued, writes the new state with who resumed it,
 * when and why; then the audit entry (`quality.inspection_resumed`, keyed by that instant). The
 * same person sending the same action again (a retry after a crash between the two) completes
 * the audit entry; otherwise a layout not stopped is refused.
 */
export async function resumeInspection(ctx: Ctx, ticketRef: string, input: ResumeInspectionInput) {
  const { ticket, layoutDoc } = await loadBatch(ctx, ticketRef, 'quality.switching');
  const me = personOf(ctx);
  const row = await switchingRowOf(ticket.tenantId, layoutDoc._id);
  const state = row.state as SwitchingState;
  const audit = (resumed: { at: Date }) =>
    recordSwitchingAudit(
      ctx,
      'quality.inspection_resumed',
      { ticket, layout: layoutDoc, rowId: row._id, at: resumed.at },
      { correctiveAction: input.correctiveAction },
    );
  const repeat = (r: typeof row | null) =>
    r?.resumed &&
    (r.state as SwitchingState).severity !== 'discontinued' &&
    sameId(r.resumed.by?.id, me.id) &&
    r.resumed.correctiveAction === input.correctiveAction
      ? r.resumed
      : null;
  if (state.severity !== 'discontinued') {
    const earlier = repeat(row);
    if (earlier?.at) {
      await audit({ at: earlier.at });
      return { severity: state.severity };
    }
    throw new AppError('conflict', 'inspection is not stopped', {
      messageKey: 'quality_ops.errors.not_stopped',
    });
  }
  const next = resumeAfterDiscontinuation(state);
  const resumed = { by: me, at: new Date(), correctiveAction: input.correctiveAction };
  const res = await SwitchingStateModel.updateOne(
    {
      tenantId: ticket.tenantId,
      layoutId: layoutDoc._id,
      version: row.version,
      'state.severity': 'discontinued',
    },
    { $set: { state: next.state, resumed, updatedAt: resumed.at }, $inc: { version: 1 } },
  );
  if (res.modifiedCount !== 1) {
    const now = await SwitchingStateModel.findOne({
      tenantId: ticket.tenantId,
      layoutId: layoutDoc._id,
    }).lean();
    const earlier = repeat(now);
    if (earlier?.at) {
      await audit({ at: earlier.at });
      return { severity: (now!.state as SwitchingState).severity };
    }
    throw new AppError('conflict', 'the inspection state changed meanwhile', {
      messageKey: 'quality_ops.errors.switching_changed',
    });
  }
  await audit(resumed);
  return { severity: next.state.severity };
}
