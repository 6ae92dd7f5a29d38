import { PrivacyRequest } from '../../../models/privacy-request.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { listTenants } from '../tenants/tenants.js';
import { runsPrivacyRequests } from './privacy-tenant.js';

const PAGE = 200;

/**
 * The requests the caller sees, newest first: a client admin their company's, an admin every
 * client's; with the clients an admin may make a request for (a client admin makes them for their own).
 */
export async function listPrivacyRequests(ctx: Ctx) {
  requirePermission(ctx, 'privacy.request');
  const rows = await PrivacyRequest.find(scopeFilter(ctx), { plan: 0, result: 0 })
    .sort({ requestedAt: -1, _id: -1 })
    .limit(PAGE)
    .lean();
  const clients = await listTenants(ctx);
  const names = new Map(clients.map((t) => [String(t._id), t.legalName]));
  return {
    admin: runsPrivacyRequests(ctx),
    clients: clients.map((t) => ({ value: String(t._id), label: t.legalName })),
    rows: rows.map((row) => ({ ...row, client: names.get(String(row.tenantId)) ?? '' })),
  };
}
