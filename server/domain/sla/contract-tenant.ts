import { Types } from 'mongoose';
import { Tenant } from '../../../models/tenant.js';
import { notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { withTenant } from '../tenants/scope.js';
import { isObjectIdHex } from './contract-store.js';

/** What the contract pages' operations share: the tenant checked, the actor as stored, duplicate keys. */

/** The tenant a contract page is about: `sla.manage`, and a tenant of the caller's portfolio (else 404). */
export async function contractTenant(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'sla.manage');
  if (!isObjectIdHex(String(tenantId))) throw notFound('tenant');
  const scoped = withTenant(ctx, String(tenantId));
  const tenant = await Tenant.findById(tenantId).lean();
  if (!tenant) throw notFound('tenant');
  return { scoped, tenant };
}

export function actorRef(ctx: Ctx): { id: Types.ObjectId | null; name: string } {
  const actor = ctx.actor;
  if (actor.kind === 'user' || actor.kind === 'api')
    return { id: new Types.ObjectId(actor.userId), name: actor.name };
  return { id: null, name: actor.kind === 'system' ? actor.name : 'anonymous' };
}

export const isDuplicate = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;
