import { SwitchingStateModel } from '../../../models/quality.js';
import { can } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { loadBatch } from './batch.js';
import { initialSwitchingState, reducedScoreThreshold, type SwitchingState } from './switching.js';

/**
 * The inspection page's panel on the switching state of the ticket's client layout (switching.ts):
 * normal, tightened, reduced or stopped, the switching score or the lots not accepted on
 * tightened inspection, whether reduced inspection is allowed, the last resumption, and whether
 * the reader may steer it (`quality.switching`: resume-inspection.ts, allow-reduced-inspection.ts).
 */
export async function switchingView(ctx: Ctx, ticketRef: string) {
  const { ticket, layoutDoc } = await loadBatch(ctx, ticketRef, 'quality.inspect');
  const row = await SwitchingStateModel.findOne({
    tenantId: ticket.tenantId,
    layoutId: layoutDoc._id,
  }).lean();
  const state = (row?.state as SwitchingState | undefined) ?? initialSwitchingState();
  return {
    layout: layoutDoc.name,
    severity: state.severity,
    stopped: state.severity === 'discontinued',
    onNormal: state.severity === 'normal',
    onTightened: state.severity === 'tightened',
    score: state.switchingScore,
    scoreThreshold: reducedScoreThreshold,
    notAcceptedOnTightened: state.notAcceptedOnTightened,
    reducedAllowed: row?.reducedAllowed === true,
    /** The catalogue key of the choice in words (`quality_ops.switching.*`). */
    reducedChoice: row?.reducedAllowed === true ? 'allowed' : 'not_allowed',
    lastResumed: row?.resumed?.at
      ? { name: row.resumed.by?.name ?? '', at: row.resumed.at, action: row.resumed.correctiveAction ?? '' }
      : null,
    canSteer: can(ctx.actor, 'quality.switching'),
  };
}
