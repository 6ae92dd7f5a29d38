import { z } from 'zod';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { parseContractInput } from '../sla/contract-input.js';
import { actorRef } from '../sla/contract-tenant.js';
import { privacyRequestOf } from './privacy-tenant.js';

export const privacyDecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  note: z.string().trim().max(2000).optional().default(''),
});

/**
 * An admin approves or rejects a request still waiting: one conditional update from `requested`, so
 * of two admins deciding at once one wins and the other is told it was decided meanwhile. A
 * rejection closes the request (its open key freed: the person may be asked about again).
 */
export async function decidePrivacyRequest(ctx: Ctx, requestId: string, input: unknown) {
  requirePermission(ctx, 'privacy.run');
  const request = await privacyRequestOf(ctx, requestId);
  const data = parseContractInput(privacyDecisionSchema, input);
  const approve = data.decision === 'approve';
  const decided = await PrivacyRequest.findOneAndUpdate(
    { _id: request._id, tenantId: request.tenantId, status: 'requested' },
    {
      $set: {
        status: approve ? 'approved' : 'rejected',
        decidedBy: actorRef(ctx),
        decidedAt: new Date(),
        decisionNote: data.note,
        ...(approve ? {} : { openKey: `closed:${String(request._id)}` }),
      },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!decided) throw new AppError('conflict', 'decided meanwhile', { messageKey: 'privacy.errors.decided' });
  await recordAudit(ctx, {
    action: approve ? 'privacy.approved' : 'privacy.rejected',
    tenantId: String(request.tenantId),
    targetId: String(request._id),
    details: { request: String(request._id), kind: request.kind },
  });
  return decided;
}
