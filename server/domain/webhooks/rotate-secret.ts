import { z } from 'zod';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { endpointView, findEndpoint } from './access.js';
import { newWebhookSecret, ROTATION_OVERLAP_MS } from './secrets.js';

export const rotateSecretSchema = z.object({
  /** How long the old secret keeps signing beside the new one (both signatures sent). */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
});
export type RotateSecretInput = z.infer<typeof rotateSecretSchema>;

/**
 * A new signing secret. Until the overlap ends every request carries two signatures (new and
 * old, space-separated, as the Standard Webhooks spec provides), so the receiver can switch at
 * its pace. Conditional on the secret read: two rotations at once do not lose one.
 */
export async function rotateSecret(ctx: Ctx, id: string, input: RotateSecretInput = {}) {
  const row = await findEndpoint(ctx, id);
  const now = new Date();
  const overlapMs = input.overlapSeconds !== undefined ? input.overlapSeconds * 1000 : ROTATION_OVERLAP_MS;
  const secret = newWebhookSecret();
  const updated = await WebhookEndpoint.findOneAndUpdate(
    { _id: row._id, tenantId: row.tenantId, secret: row.secret },
    {
      $set: {
        secret,
        previousSecret: row.secret,
        previousSecretUntil: new Date(now.getTime() + overlapMs),
        updatedAt: now,
      },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!updated) throw new AppError('conflict', 'secret rotated meanwhile');
  await recordAudit(ctx, {
    action: 'webhook.secret_rotated',
    tenantId: String(row.tenantId),
    targetId: String(row._id),
    targetLabel: row.url,
    details: { overlapSeconds: Math.round(overlapMs / 1000) },
  });
  ctx.log.info({ endpoint: id }, 'webhook secret rotated');
  return { ...endpointView(updated), secret };
}
