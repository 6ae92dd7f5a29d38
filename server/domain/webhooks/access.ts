import { Types } from 'mongoose';
import { WebhookEndpoint, type WebhookEndpointAttrs } from '../../../models/webhook-endpoint.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { mayAccessTenant, scopeFilter } from '../tenants/scope.js';
import { isForbiddenAddress } from './safe-target.js';
import { isAllowedHost, normalHost } from './settings.js';
import { isIP } from 'node:net';

/**
 * The tenant an endpoint operation acts in: a client admin's own company (whatever they name),
 * a provider admin's chosen client. A tenant the caller may not see reads as not found.
 */
export function endpointTenant(ctx: Ctx, tenantId?: string): Types.ObjectId {
  requirePermission(ctx, 'webhooks.manage');
  const actor = ctx.actor;
  const own = actor.kind === 'user' || actor.kind === 'api' ? actor.tenantId : null;
  const chosen = own ?? tenantId ?? ctx.tenantId;
  if (!chosen || !Types.ObjectId.isValid(chosen))
    throw new AppError('validation', 'a client is required', {
      fields: [{ path: 'tenantId', key: 'webhooks.tenant_required' }],
    });
  if (own && tenantId && tenantId !== own) throw notFound();
  if (!mayAccessTenant(ctx, chosen)) throw notFound();
  return new Types.ObjectId(chosen);
}

/** An endpoint the caller may manage, or not found. */
export async function findEndpoint(ctx: Ctx, id: string) {
  requirePermission(ctx, 'webhooks.manage');
  if (!Types.ObjectId.isValid(id)) throw notFound();
  const row = await WebhookEndpoint.findOne({ _id: new Types.ObjectId(id), ...scopeFilter(ctx) }).lean();
  if (!row) throw notFound();
  return row;
}

/**
 * Refuse a URL nobody may register: not https (unless its host is allowed by the admin's
 * configuration), credentials in it, or an IP literal that is not public. Names are checked
 * again at every connection (safe-target.ts), so this is early feedback, not the guard.
 */
export function checkEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('webhooks.url_invalid');
  }
  const host = normalHost(url.hostname);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('webhooks.url_https');
  if (url.username || url.password || url.hash) throw refuse('webhooks.url_invalid');
  if (isAllowedHost(host)) return url.toString();
  if (url.protocol !== 'https:') throw refuse('webhooks.url_https');
  if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isForbiddenAddress(host)))
    throw refuse('webhooks.url_private');
  return url.toString();
}

function refuse(key: string): AppError {
  return new AppError('validation', 'webhook URL refused', {
    fields: [{ path: 'url', key }],
    messageKey: key,
  });
}

/** What the API and pages show of an endpoint: never its secrets. */
export function endpointView(
  row: Pick<
    WebhookEndpointAttrs,
    | 'url'
    | 'events'
    | 'description'
    | 'orderedPerTicket'
    | 'state'
    | 'disabledReason'
    | 'failingSince'
    | 'circuitOpenUntil'
    | 'createdAt'
    | 'updatedAt'
    | 'previousSecretUntil'
  > & { _id: Types.ObjectId; tenantId: Types.ObjectId },
) {
  return {
    id: String(row._id),
    tenantId: String(row.tenantId),
    url: row.url,
    description: row.description,
    events: row.events,
    orderedPerTicket: row.orderedPerTicket,
    state: row.state,
    disabledReason: row.disabledReason ?? null,
    failingSince: row.failingSince ? row.failingSince.toISOString() : null,
    circuitOpenUntil: row.circuitOpenUntil ? row.circuitOpenUntil.toISOString() : null,
    previousSecretUntil: row.previousSecretUntil ? row.previousSecretUntil.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type EndpointView = ReturnType<typeof endpointView>;
