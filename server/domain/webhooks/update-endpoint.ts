import { z } from 'zod';
import { WebhookEndpoint, webhookEventTypes } from '../../../models/webhook-endpoint.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { forgetWebhookEndpoints } from './record-events.js';
import { checkEndpointUrl, endpointView, findEndpoint } from './access.js';

export const updateEndpointSchema = z.object({
  url: z.string().trim().min(8).max(2000).optional(),
  description: z.string().trim().max(200).optional(),
  events: z.array(z.enum(webhookEventTypes)).min(1).optional(),
  orderedPerTicket: z.boolean().optional(),
  /** `disabled` stops delivery; `active` resumes it (health reset, no backfill of the pause). */
  state: z.enum(['active', 'disabled']).optional(),
});
export type UpdateEndpointInput = z.infer<typeof updateEndpointSchema>;

/** Change an endpoint. Conditional on the version read (`updatedAt`): a concurrent change is a conflict. */
export async function updateEndpoint(ctx: Ctx, id: string, input: UpdateEndpointInput) {
  const row = await findEndpoint(ctx, id);
  const now = new Date();
  const $set: Record<string, unknown> = { updatedAt: now };
  if (input.url !== undefined) $set.url = checkEndpointUrl(input.url);
  if (input.description !== undefined) $set.description = input.description;
  if (input.events !== undefined) $set.events = [...new Set(input.events)];
  if (input.orderedPerTicket !== undefined) $set.orderedPerTicket = input.orderedPerTicket;
  if (input.state === 'disabled' && row.state !== 'disabled')
    Object.assign($set, { state: 'disabled', disabledReason: 'admin', disabledAt: now });
  if (input.state === 'active' && row.state !== 'active')
    Object.assign($set, {
      state: 'active',
      disabledReason: null,
      disabledAt: null,
      failingSince: null,
      consecutiveFailures: 0,
      circuitOpenUntil: null,
      probeUntil: null,
      derivedUntil: now,
    });
  const updated = await WebhookEndpoint.findOneAndUpdate(
    { _id: row._id, tenantId: row.tenantId, updatedAt: row.updatedAt },
    { $set },
    { returnDocument: 'after' },
  ).lean();
  if (!updated) throw new AppError('conflict', 'endpoint changed meanwhile');
  forgetWebhookEndpoints(String(row.tenantId));
  await recordAudit(ctx, {
    action: 'webhook.updated',
    tenantId: String(row.tenantId),
    targetId: String(row._id),
    targetLabel: updated.url,
    details: { changed: Object.keys($set).filter((k) => k !== 'updatedAt') },
  });
  ctx.log.info({ endpoint: id, changed: Object.keys($set) }, 'webhook endpoint updated');
  return endpointView(updated);
}
