import { Types } from 'mongoose';
import { z } from 'zod';
import { WebhookEndpoint, webhookEventTypes } from '../../../models/webhook-endpoint.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { forgetWebhookEndpoints } from './record-events.js';
import { checkEndpointUrl, endpointTenant, endpointView } from './access.js';
import { newWebhookSecret } from './secrets.js';

export const registerEndpointSchema = z.object({
  /** Provider admins name the client; a client admin's own company is implied. */
  tenantId: z.string().optional(),
  url: z.string().trim().min(8).max(2000),
  description: z.string().trim().max(200).default(''),
  events: z.array(z.enum(webhookEventTypes)).min(1),
  orderedPerTicket: z.boolean().default(false),
});
export type RegisterEndpointInput = z.infer<typeof registerEndpointSchema>;

/**
 * Register a client system's endpoint. Returns it with its signing secret (also shown after a
 * rotation, never in lists). Events of changes stored from now on are delivered to it.
 */
export async function registerEndpoint(ctx: Ctx, input: RegisterEndpointInput) {
  const tenantId = endpointTenant(ctx, input.tenantId);
  const url = checkEndpointUrl(input.url);
  const now = new Date();
  const row = await WebhookEndpoint.create({
    _id: new Types.ObjectId(),
    tenantId,
    url,
    description: input.description,
    events: [...new Set(input.events)],
    secret: newWebhookSecret(),
    orderedPerTicket: input.orderedPerTicket,
    state: 'active',
    derivedUntil: now,
    createdAt: now,
    updatedAt: now,
  });
  forgetWebhookEndpoints(String(tenantId));
  await recordAudit(ctx, {
    action: 'webhook.registered',
    tenantId: String(tenantId),
    targetId: String(row._id),
    targetLabel: url,
    details: { events: row.events },
  });
  ctx.log.info({ endpoint: String(row._id), tenantId: String(tenantId) }, 'webhook endpoint registered');
  return { ...endpointView(row.toObject()), secret: row.secret };
}
