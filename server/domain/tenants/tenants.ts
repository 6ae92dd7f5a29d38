import { z } from 'zod';
import { Tenant, tenantStatuses } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { domainEvents } from '../events.js';
import { notFound } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { forgetTenant } from './cache.js';
import { mayAccessTenant, tenantAccess } from './scope.js';

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const tenantInputSchema = z.object({
  code: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => /^[a-z][a-z0-9-]{1,19}$/.test(v), { params: { key: 'tenant_code' } }),
  legalName: z.string().trim().min(2).max(200),
  timeZone: z
    .string()
    .trim()
    .refine(isTimeZone, { params: { key: 'time_zone' } }),
  locale: z.enum(['en', 'it', 'da']),
  calendarRef: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((v) => v || null),
  contractRef: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((v) => v || null),
});
export type TenantInput = z.infer<typeof tenantInputSchema>;

export const tenantStatusSchema = z.object({ status: z.enum(tenantStatuses) });

/** The status change the tenants page offers: suspend an active client, activate a suspended one. */
export function suspendOffered(status: string): boolean {
  return status === 'active';
}

/**
 * Tenants the caller may see: all for admins, their own or served ones for everyone else; each
 * with the status change the tenants page offers.
 */
export async function listTenants(ctx: Ctx) {
  const access = tenantAccess(ctx);
  const filter = access.all ? {} : { _id: { $in: access.tenantIds } };
  const tenants = await Tenant.find(filter).sort({ code: 1 }).lean();
  return tenants.map((tn) => ({ ...tn, canSuspend: suspendOffered(tn.status) }));
}

/**
 * The ids of the tenants the caller serves, as `tenantAccess` (scope.ts) decides: every tenant
 * for those who may touch all, else their own list (e.g. the staff rooms a socket joins).
 */
export async function servedTenantIds(ctx: Ctx): Promise<string[]> {
  const access = tenantAccess(ctx);
  if (!access.all) return access.tenantIds;
  return (await listTenants(ctx)).map((x) => String(x._id));
}

export async function getTenant(ctx: Ctx, id: string) {
  if (!mayAccessTenant(ctx, id)) throw notFound('tenant');
  const tenant = await Tenant.findById(id).lean();
  if (!tenant) throw notFound('tenant');
  return tenant;
}

export async function createTenant(ctx: Ctx, input: TenantInput) {
  requirePermission(ctx, 'tenants.manage');
  const tenant = await Tenant.create({ ...input, status: 'active' });
  await recordAudit(ctx, {
    action: 'tenant.created',
    tenantId: tenant.id as string,
    targetId: tenant.id as string,
    targetLabel: tenant.code,
  });
  return tenant.toObject();
}

export async function updateTenant(ctx: Ctx, id: string, input: TenantInput) {
  requirePermission(ctx, 'tenants.manage');
  const tenant = await Tenant.findByIdAndUpdate(
    id,
    { $set: input },
    { returnDocument: 'after', runValidators: true },
  ).lean();
  forgetTenant(id);
  if (!tenant) throw notFound('tenant');
  await recordAudit(ctx, {
    action: 'tenant.updated',
    tenantId: id,
    targetId: id,
    targetLabel: tenant.code,
    details: { fields: Object.keys(input) },
  });
  return tenant;
}

export async function setTenantStatus(ctx: Ctx, id: string, status: (typeof tenantStatuses)[number]) {
  requirePermission(ctx, 'tenants.manage');
  const tenant = await Tenant.findByIdAndUpdate(id, { $set: { status } }, { returnDocument: 'after' }).lean();
  forgetTenant(id);
  if (!tenant) throw notFound('tenant');
  if (status === 'suspended') {
    // Their sessions are refused on the next request; their live connections end now.
    const users = await User.find({ tenantId: tenant._id }).select({ _id: 1 }).lean();
    for (const u of users) domainEvents.emit('user.sessions_revoked', { userId: String(u._id) });
  }
  await recordAudit(ctx, {
    action: status === 'suspended' ? 'tenant.suspended' : 'tenant.activated',
    tenantId: id,
    targetId: id,
    targetLabel: tenant.code,
  });
  return tenant;
}
