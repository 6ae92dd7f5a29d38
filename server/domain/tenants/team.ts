import { Types } from 'mongoose';
import { z } from 'zod';
import { Tenant } from '../../../models/tenant.js';
import { clientRoles, User } from '../../../models/user.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { isLocale } from '../../i18n/i18n.js';
import { deriveCtx, type Ctx } from '../context.js';
import { scopeFilter } from './scope.js';
import { recordAudit } from '../audit/audit.js';
import { sendInvitation } from '../auth/invitations.js';
import { requirePermission } from '../auth/policy.js';
import { enableOffered, mayChangeStatusOf, setUserStatus } from '../auth/staff.js';
import { personEmail, personName } from '../auth/person-input.js';

export const teamInviteSchema = z.object({
  name: personName,
  email: personEmail,
  role: z.enum(clientRoles),
});
export type TeamInvite = z.infer<typeof teamInviteSchema>;

/** A client admin's own tenant: the only one their team functions ever touch. */
function ownTenant(ctx: Ctx): string {
  requirePermission(ctx, 'team.manage');
  if (ctx.actor.kind !== 'user' || !ctx.actor.tenantId)
    throw new AppError('forbidden', 'not a client account');
  return ctx.actor.tenantId;
}

/**
 * The company's users, each with what the team page offers on them: a status change (never on
 * one's own account, which setUserStatus refuses) and whether that change enables or disables.
 */
export async function listTeam(ctx: Ctx) {
  const tenantId = ownTenant(ctx);
  const members = await User.find({ ...scopeFilter(deriveCtx(ctx, { tenantId })) })
    .sort({ name: 1 })
    .lean();
  return members.map((m) => ({
    ...m,
    canChangeStatus: mayChangeStatusOf(ctx, String(m._id)),
    canEnable: enableOffered(m.status),
  }));
}

export async function inviteTeamMember(ctx: Ctx, input: TeamInvite) {
  const tenantId = ownTenant(ctx);
  const tenant = await Tenant.findById(tenantId).lean();
  if (!tenant) throw notFound('tenant');
  const user = await User.create({
    name: input.name,
    email: input.email,
    role: input.role,
    tenantId: new Types.ObjectId(tenantId),
    status: 'invited',
  });
  await recordAudit(ctx, {
    action: 'user.invited',
    tenantId,
    targetId: user.id as string,
    targetLabel: user.email,
    details: { role: input.role },
  });
  await sendInvitation(ctx, user, isLocale(tenant.locale) ? tenant.locale : 'en', tenant.legalName);
  return user.toObject();
}

export async function setTeamMemberStatus(ctx: Ctx, id: string, status: 'active' | 'disabled') {
  const tenantId = ownTenant(ctx);
  if (!Types.ObjectId.isValid(id)) throw notFound('user');
  return setUserStatus(
    ctx,
    { ...scopeFilter(deriveCtx(ctx, { tenantId })), _id: new Types.ObjectId(id) },
    status,
  );
}
