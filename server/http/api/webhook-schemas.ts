import { z } from 'zod';
import { webhookEndpointStates, webhookEventTypes } from '../../../models/webhook-endpoint.js';
import { registerEndpointSchema } from '../../domain/webhooks/register-endpoint.js';
import { rotateSecretSchema } from '../../domain/webhooks/rotate-secret.js';
import { updateEndpointSchema } from '../../domain/webhooks/update-endpoint.js';

/**
 * The API's webhook endpoint schemas: the domain's input schemas (a token acts for its own
 * company, so no tenantId), the URL stated as the API checks it (https; http only for hosts the
 * provider allows), and the JSON the API answers with (never the secret, except on creation and
 * rotation).
 */
const url = z
  .string()
  .trim()
  .max(2000)
  .regex(/^https?:\/\/[^\s/?#@]+(\/\S*)?$/);

export const apiEndpointInput = registerEndpointSchema.omit({ tenantId: true }).extend({ url });
export const apiEndpointUpdate = updateEndpointSchema.extend({ url: url.optional() });
// Strict: a misspelt `overlapSeconds` (`overlap: 0` after a leak) must not rotate with the
// default overlap, the old secret signing on for a day.
export const apiSecretRotation = rotateSecretSchema.strict();

const when = z.iso.datetime().nullable();
export const endpointJson = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(webhookEventTypes)),
  orderedPerTicket: z.boolean(),
  state: z.enum(webhookEndpointStates),
  disabledReason: z.string().nullable(),
  failingSince: when,
  circuitOpenUntil: when,
  previousSecretUntil: when,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const endpointWithSecretJson = endpointJson.extend({ secret: z.string().regex(/^whsec_/) });
export const endpointListJson = z.object({ data: z.array(endpointJson) });
