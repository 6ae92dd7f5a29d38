import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';
import { endpointTenant, endpointView, findEndpoint } from './access.js';

/** The endpoints the caller manages: a client admin their company's; a provider admin one client's or all. */
export async function listEndpoints(ctx: Ctx, input: { tenantId?: string } = {}) {
  requirePermission(ctx, 'webhooks.manage');
  const filter = input.tenantId ? { tenantId: endpointTenant(ctx, input.tenantId) } : scopeFilter(ctx);
  const rows = await WebhookEndpoint.find(filter)
    .sort({ createdAt: 1, _id: 1 })
    .limit(500)
    .lean<Array<Parameters<typeof endpointView>[0]>>();
  return rows.map(endpointView);
}

/** One endpoint, without its secrets. */
export async function getEndpoint(ctx: Ctx, id: string) {
  return endpointView(await findEndpoint(ctx, id));
}
