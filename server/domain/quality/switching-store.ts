import type { Types } from 'mongoose';
import { SwitchingStateModel } from '../../../models/quality.js';
import { recordAudit, type AuditAction } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import {
  initialSwitchingState,
  nextSwitchingState,
  type LotOutcome,
  type SwitchingState,
  type SwitchStep,
} from './switching.js';

/**
 * The stored switching row of a (client, layout), created (normal inspection, version 1) when
 * there is none yet, for the choices made between lots.
 */
export async function switchingRowOf(tenantId: Types.ObjectId, layoutId: Types.ObjectId) {
  const doc = await SwitchingStateModel.findOne({ tenantId, layoutId }).lean();
  if (doc) return doc;
  try {
    await SwitchingStateModel.create({ tenantId, layoutId, state: initialSwitchingState(), version: 1 });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  const made = await SwitchingStateModel.findOne({ tenantId, layoutId }).lean();
  if (!made) throw new Error('switching state: not found after its creation');
  return made;
}

/** The stored switching state of a (client, layout); normal inspection before the first lot. */
export async function switchingStateOf(
  tenantId: Types.ObjectId,
  layoutId: Types.ObjectId,
): Promise<SwitchingState> {
  const doc = await SwitchingStateModel.findOne({ tenantId, layoutId }).lean();
  return doc ? (doc.state as SwitchingState) : initialSwitchingState();
}

/**
 * Apply one closed lot to the switching state of its (client, layout), once: the state is
 * replaced only if its version is still the one read (else read again), and the lot's id is
 * kept with it, so applying the same lot again after a crash changes nothing. A lot closed
 * while inspection is discontinued does not move the state (clause 9.4: it waits for the
 * supplier's action).
 */
export async function applyLotToSwitching(
  tenantId: Types.ObjectId,
  layoutId: Types.ObjectId,
  lotId: Types.ObjectId,
  outcome: LotOutcome,
): Promise<SwitchStep['switched']> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const doc = await SwitchingStateModel.findOne({ tenantId, layoutId }).lean();
    if (doc?.appliedLots.some((id) => String(id) === String(lotId))) return null;
    const state = doc ? (doc.state as SwitchingState) : initialSwitchingState();
    if (state.severity === 'discontinued') return null;
    // Reduced inspection only where the team lead allowed it (clause 9.3.3 b and c).
    const allowed = doc?.reducedAllowed === true;
    const step = nextSwitchingState(state, outcome, {
      productionSteady: allowed,
      authorityApprovesReduced: allowed,
    });
    const set = { state: step.state, updatedAt: new Date() };
    if (!doc) {
      try {
        await SwitchingStateModel.create({ tenantId, layoutId, ...set, appliedLots: [lotId], version: 1 });
        return step.switched;
      } catch (err) {
        if ((err as { code?: number }).code === 11000) continue;
        throw err;
      }
    }
    const res = await SwitchingStateModel.updateOne(
      { tenantId, layoutId, version: doc.version },
      { $set: set, $inc: { version: 1 }, $push: { appliedLots: { $each: [lotId], $slice: -50 } } },
    );
    if (res.modifiedCount === 1) return step.switched;
  }
  throw new Error('switching state: too many concurrent updates');
}

/**
 * The audit entry of a team lead's choice on a layout's switching state (resume-inspection.ts,
 * allow-reduced-inspection.ts), on the ticket it was made from, once by its key: the switching
 * row and the instant of the choice.
 */
export async function recordSwitchingAudit(
  ctx: Ctx,
  action: Extract<AuditAction, 'quality.inspection_resumed' | 'quality.reduced_allowed'>,
  where: {
    ticket: { _id: unknown; tenantId: unknown; number: string };
    layout: { _id: unknown; name: string };
    rowId: unknown;
    at: Date;
  },
  details: Record<string, unknown>,
): Promise<void> {
  await recordAudit(ctx, {
    action,
    key: `${action}:${String(where.rowId)}:${where.at.getTime()}`,
    tenantId: String(where.ticket.tenantId),
    targetId: String(where.ticket._id),
    targetLabel: where.ticket.number,
    details: { layout: where.layout.name, layoutId: String(where.layout._id), ...details },
  });
}
