import { Types } from 'mongoose';
import { z } from 'zod';
import { Provider } from '../../../models/provider.js';
import { Tenant } from '../../../models/tenant.js';
import { staffRoles, User, type UserDoc } from '../../../models/user.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { recordAudit } from '../audit/audit.js';
import { sendInvitation } from './invitations.js';
import { hashPassword, passwordRules } from './passwords.js';
import { requirePermission, servesAllTenants } from './policy.js';
import { personEmail, personName } from './person-input.js';

const objectId = z.string().refine((v) => Types.ObjectId.isValid(v), { params: { key: 'unknown' } });

export const staffInputSchema = z.object({
  name: personName,
  email: personEmail,
  role: z.enum(staffRoles),
  tenantIds: z
    .union([objectId, z.array(objectId)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  locale: z
    .enum(['en', 'it', 'da', ''])
    .optional()
    .transform((v) => (v ? v : null)),
});
export type StaffInput = z.infer<typeof staffInputSchema>;

const staffFilter = { tenantId: null, role: { $in: [...staffRoles] } };

/**
 * Staff accounts, each with the status change the page offers (enable a disabled one, else
 * disable) and whether they serve every tenant (the page says so instead of listing codes).
 */
export async function listStaff(ctx: Ctx) {
  requirePermission(ctx, 'staff.manage');
  const staff = await User.find(staffFilter).sort({ name: 1 }).lean();
  return staff.map((u) => ({
    ...u,
    canEnable: enableOffered(u.status),
    allTenants: servesAllTenants(u.role),
  }));
}

export async function getStaff(ctx: Ctx, id: string) {
  requirePermission(ctx, 'staff.manage');
  if (!Types.ObjectId.isValid(id)) throw notFound('user');
  const user = await User.findOne({ ...staffFilter, _id: id }).lean();
  if (!user) throw notFound('user');
  return user;
}

async function assertTenantsExist(ids: string[]): Promise<void> {
  if (!ids.length) return;
  const found = await Tenant.countDocuments({ _id: { $in: ids } });
  if (found !== new Set(ids).size) {
    throw new AppError('validation', 'unknown tenant', {
      fields: [{ path: 'tenantIds', key: 'validation.unknown' }],
    });
  }
}

async function providerLocale(): Promise<{ name: string; locale: Locale }> {
  const provider = await Provider.findOne({ key: 'provider' }).lean();
  return {
    name: provider?.name ?? 'Backoffice Desk',
    locale: provider && isLocale(provider.locale) ? provider.locale : 'en',
  };
}

/** Create a staff member; they get an invitation mail, or a password from the command line. */
export async function createStaff(
  ctx: Ctx,
  input: StaffInput,
  options: { password?: string } = {},
): Promise<UserDoc> {
  requirePermission(ctx, 'staff.manage');
  const tenantIds = input.role === 'admin' ? [] : input.tenantIds;
  await assertTenantsExist(tenantIds);
  if (options.password !== undefined && options.password.length < passwordRules.min) {
    throw new AppError('validation', 'password too short', {
      fields: [{ path: 'password', key: 'validation.too_small', params: { min: passwordRules.min } }],
    });
  }
  const user = await User.create({
    name: input.name,
    email: input.email,
    role: input.role,
    tenantIds,
    tenantId: null,
    locale: input.locale,
    status: options.password ? 'active' : 'invited',
    passwordHash: options.password ? await hashPassword(options.password) : null,
  });
  await recordAudit(ctx, {
    action: 'user.created',
    targetId: user.id as string,
    targetLabel: user.email,
    details: { role: user.role, tenantIds },
  });
  if (!options.password) {
    const provider = await providerLocale();
    await sendInvitation(ctx, user, isLocale(input.locale) ? input.locale : provider.locale, provider.name);
  }
  return user;
}

/** Change name, role, locale and tenant assignments; role and assignment changes are audited. */
export async function updateStaff(ctx: Ctx, id: string, input: Omit<StaffInput, 'email'>) {
  const before = await getStaff(ctx, id);
  const tenantIds = input.role === 'admin' ? [] : input.tenantIds;
  await assertTenantsExist(tenantIds);
  const after = await User.findOneAndUpdate(
    { ...staffFilter, _id: id },
    { $set: { name: input.name, role: input.role, tenantIds, locale: input.locale } },
    { returnDocument: 'after', runValidators: true },
  ).lean();
  if (!after) throw notFound('user');
  if (before.role !== after.role) {
    await recordAudit(ctx, {
      action: 'user.role_changed',
      targetId: id,
      targetLabel: after.email,
      details: { from: before.role, to: after.role },
    });
  }
  const beforeIds = before.tenantIds.map(String).sort();
  const afterIds = after.tenantIds.map(String).sort();
  if (beforeIds.join() !== afterIds.join()) {
    await recordAudit(ctx, {
      action: 'user.assignments_changed',
      targetId: id,
      targetLabel: after.email,
      details: { from: beforeIds, to: afterIds },
    });
  }
  if (before.name !== after.name || before.locale !== after.locale) {
    await recordAudit(ctx, { action: 'user.updated', targetId: id, targetLabel: after.email });
  }
  // Open sockets joined rooms for the old role and tenants: drop them (pages reconnect with the new ones).
  if (before.role !== after.role || beforeIds.join() !== afterIds.join())
    domainEvents.emit('user.sessions_revoked', { userId: id });
  return after;
}

/** setUserStatus enables only a disabled account and disables any other: the one a page offers. */
export function enableOffered(status: string): boolean {
  return status === 'disabled';
}

/** The input of `setUserStatus`, from the staff page and a client admin's team page alike. */
export const userStatusInputSchema = z.object({ status: z.enum(['active', 'disabled']) });

/** No one enables or disables their own account (no locking oneself out). */
export function mayChangeStatusOf(ctx: Ctx, userId: string): boolean {
  return !(ctx.actor.kind === 'user' && userId === ctx.actor.userId);
}

/**
 * Enable or disable an account. Disabling bumps the session version, so every session of
 * that user is refused on its next request, and the real-time layer drops their sockets.
 */
export async function setUserStatus(
  ctx: Ctx,
  filter: Record<string, unknown>,
  status: 'active' | 'disabled',
) {
  if (!mayChangeStatusOf(ctx, String(filter._id))) {
    throw new AppError('conflict', 'cannot change own status', { messageKey: 'users.cannot_disable_self' });
  }
  const update =
    status === 'disabled' ? { $set: { status }, $inc: { sessionVersion: 1 } } : { $set: { status } };
  const user = await User.findOneAndUpdate(
    { ...filter, status: status === 'disabled' ? { $ne: 'disabled' } : 'disabled' },
    update,
    {
      returnDocument: 'after',
    },
  ).lean();
  if (!user) {
    const exists = await User.exists(filter);
    if (!exists) throw notFound('user');
    return null;
  }
  await recordAudit(ctx, {
    action: status === 'disabled' ? 'user.disabled' : 'user.enabled',
    tenantId: user.tenantId ? String(user.tenantId) : null,
    targetId: String(user._id),
    targetLabel: user.email,
  });
  if (status === 'disabled') domainEvents.emit('user.sessions_revoked', { userId: String(user._id) });
  return user;
}

export async function setStaffStatus(ctx: Ctx, id: string, status: 'active' | 'disabled') {
  requirePermission(ctx, 'staff.manage');
  if (!Types.ObjectId.isValid(id)) throw notFound('user');
  return setUserStatus(ctx, { ...staffFilter, _id: new Types.ObjectId(id) }, status);
}
