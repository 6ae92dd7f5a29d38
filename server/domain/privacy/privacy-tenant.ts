import { Types } from 'mongoose';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { Tenant } from '../../../models/tenant.js';
import { notFound } from '../../errors/app-error.js';
import { can, requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { isCanonicalId, scopeAdmits, scopeFilter, withTenant } from '../tenants/scope.js';

/** The client a request is made for: a client admin's own company, or any client an admin names (else 404). */
export async function privacyTenant(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'privacy.request');
  if (!isCanonicalId(tenantId)) throw notFound('tenant');
  withTenant(ctx, tenantId);
  const tenant = await Tenant.findById(tenantId, { code: 1, legalName: 1, timeZone: 1 }).lean();
  if (!tenant) throw notFound('tenant');
  return tenant;
}

/**
 * One request the caller may see: a client admin their company's, an admin any. Read by its id and
 * checked against the caller's scope afterwards (a foreign client's request reads as not found).
 */
export async function privacyRequestOf(ctx: Ctx, requestId: string) {
  requirePermission(ctx, 'privacy.request');
  if (!isCanonicalId(requestId)) throw notFound('request');
  const request = await PrivacyRequest.findOne({ _id: new Types.ObjectId(requestId) })
    .setOptions({ allTenants: true })
    .lean();
  if (!request || !scopeAdmits(scopeFilter(ctx), request.tenantId)) throw notFound('request');
  return request;
}

/** Whether the caller decides and runs requests (admins), rather than only making them. */
export const runsPrivacyRequests = (ctx: Ctx): boolean => can(ctx.actor, 'privacy.run');
