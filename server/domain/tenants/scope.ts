import { Types } from 'mongoose';
import { AppError } from '../../errors/app-error.js';
import { servesAllTenants } from '../auth/policy.js';
import { deriveCtx, type Ctx } from '../context.js';

/**
 * The tenants the caller may touch. This is the one place that turns a context into a tenant
 * filter; models enforce that every query carries one (models/plugins/tenant-scope.ts).
 */
export type TenantAccess = { all: true } | { all: false; tenantIds: string[] };

export function tenantAccess(ctx: Ctx): TenantAccess {
  const actor = ctx.actor;
  if (actor.kind === 'anonymous') return { all: false, tenantIds: [] };
  if (actor.kind === 'api') return { all: false, tenantIds: [actor.tenantId] };
  if (actor.kind === 'system' || servesAllTenants(actor.role)) return { all: true };
  if (actor.tenantId) return { all: false, tenantIds: [actor.tenantId] };
  return { all: false, tenantIds: actor.tenantIds };
}

export function mayAccessTenant(ctx: Ctx, tenantId: string): boolean {
  const access = tenantAccess(ctx);
  return access.all || access.tenantIds.includes(tenantId);
}

function toObjectId(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id)) throw new AppError('not_found', 'unknown tenant');
  return new Types.ObjectId(id);
}

/**
 * Filter clause for tenant-owned data. With `ctx.tenantId` set the query is narrowed to that
 * one tenant (after checking the caller may see it: a foreign tenant reads as "not found").
 */
export function scopeFilter(ctx: Ctx): {
  tenantId: Types.ObjectId | { $in: Types.ObjectId[] } | { $ne: null };
} {
  if (ctx.tenantId) {
    if (!mayAccessTenant(ctx, ctx.tenantId)) throw new AppError('not_found', 'not found');
    return { tenantId: toObjectId(ctx.tenantId) };
  }
  const access = tenantAccess(ctx);
  if (access.all) return { tenantId: { $ne: null } };
  return { tenantId: { $in: access.tenantIds.map(toObjectId) } };
}

/** Whether `id` is an id exactly as the portal writes it (24 lower-case hex digits): anything else reads as not found. */
export const isCanonicalId = (id: string): boolean =>
  Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;

/** Whether a scope filter (scopeFilter) admits this tenant: for rows read by a unique key first. */
export function scopeAdmits(scope: ReturnType<typeof scopeFilter>, tenantId: Types.ObjectId): boolean {
  const t = scope.tenantId;
  if (t instanceof Types.ObjectId) return t.equals(tenantId);
  if ('$in' in t) return t.$in.some((id) => id.equals(tenantId));
  return true;
}

/** Narrow a context to one tenant (a staff member acting inside a chosen tenant). */
export function withTenant(ctx: Ctx, tenantId: string): Ctx {
  if (!mayAccessTenant(ctx, tenantId)) throw new AppError('not_found', 'not found');
  return deriveCtx(ctx, { tenantId, logFields: { tenantId } });
}
