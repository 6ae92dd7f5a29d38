import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { Tenant } from '../../../models/tenant.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { parseContractInput, policyInputSchema } from './contract-input.js';
import { forgetContract, type PolicyDoc } from './contract-store.js';
import { actorRef, contractTenant, isDuplicate } from './contract-tenant.js';

/**
 * Save the tenant's SLA targets as a new version (previous + 1). The unique index on
 * (tenantId, version) decides concurrent saves: the loser gets a conflict, as does a form
 * started from an older version than the current one. `input`: the form's fields.
 */
export async function savePolicy(ctx: Ctx, tenantId: string, input: unknown): Promise<PolicyDoc> {
  const { tenant } = await contractTenant(ctx, tenantId);
  const data = parseContractInput(policyInputSchema, input);
  const calendar = await SlaCalendar.findOne({ tenantId: tenant._id }).select({ _id: 1 }).lean();
  if (!calendar)
    throw new AppError('conflict', 'save the calendar first', { messageKey: 'sla.calendar_first' });
  const latest = await SlaPolicy.findOne({ tenantId: tenant._id })
    .sort({ version: -1 })
    .select({ version: 1 })
    .lean();
  const current = latest?.version ?? 0;
  if (data.baseVersion !== null && data.baseVersion !== current)
    throw new AppError('conflict', 'a newer policy version exists', {
      messageKey: 'sla.policy_stale',
      params: { version: current },
    });
  let created;
  try {
    created = await SlaPolicy.create({
      tenantId: tenant._id,
      version: current + 1,
      calendarId: calendar._id,
      targets: data.targets,
      warnAt: data.warnAt,
      escalation: data.escalation,
      csatOptOut: data.csatOptOut,
      createdBy: actorRef(ctx),
    });
  } catch (err) {
    if (isDuplicate(err))
      throw new AppError('conflict', 'a concurrent save took this version', {
        messageKey: 'sla.policy_stale',
        params: { version: current + 1 },
        cause: err,
      });
    throw err;
  }
  const policy = created.toObject() as PolicyDoc;
  forgetContract(String(tenant._id));
  await Tenant.updateOne({ _id: tenant._id }, { $set: { contractRef: String(policy._id) } });
  await recordAudit(ctx, {
    action: 'sla.policy_saved',
    tenantId: String(tenant._id),
    targetId: String(policy._id),
    targetLabel: `${tenant.code} v${policy.version}`,
    details: { version: policy.version },
  });
  return policy;
}
