import type { Ctx } from '../context.js';
import { getTenant } from '../tenants/tenants.js';
import { privacyRequestActions } from './request-actions.js';
import { privacyRequestOf, runsPrivacyRequests } from './privacy-tenant.js';

/**
 * One request as its page shows it: the request, what the caller may do with it now, and for
 * admins (who decide and run requests of every client) the client it belongs to.
 */
export async function showPrivacyRequest(ctx: Ctx, requestId: string) {
  const request = await privacyRequestOf(ctx, requestId);
  const client = runsPrivacyRequests(ctx) ? (await getTenant(ctx, String(request.tenantId))).legalName : null;
  return { request, client, actions: privacyRequestActions(ctx, request) };
}
