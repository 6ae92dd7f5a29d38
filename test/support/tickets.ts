import type { Types } from 'mongoose';
import { pino } from 'pino';
import type { Tenant } from '../../models/tenant.js';
import type { UserDoc } from '../../models/user.js';
import { toProfile } from '../../server/domain/auth/profile.js';
import { makeCtx, type Ctx } from '../../server/domain/context.js';
import { storeAttachments } from '../../server/domain/tickets/attachments.js';
import { createTicket } from '../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../server/domain/tickets/schemas.js';

type TenantDoc = InstanceType<typeof Tenant>;
const log = pino({ level: 'silent' });

/** The context a signed-in user's request would carry. */
export function ctxOf(user: UserDoc, tenant: TenantDoc | null): Ctx {
  const actor = toProfile(user, tenant, { locale: 'en', timeZone: 'Europe/Rome' });
  return makeCtx({ tenantId: actor.tenantId, actor, requestId: 'test', log });
}

export const complaintInput = (subject = 'Late delivery') =>
  ticketInputSchema.parse({
    type: 'complaint',
    subject,
    description: 'The customer waited five days.',
    priority: 'normal',
    fields: {
      customerName: 'Bianchi',
      customerReference: 'C-1',
      channel: 'phone',
      category: 'Delay',
      severity: 'medium',
    },
  });

/** A complaint ticket opened by a client user, through the domain. */
export async function makeTicket(requester: UserDoc, tenant: TenantDoc, subject?: string) {
  return createTicket(ctxOf(requester, tenant), complaintInput(subject), 'portal');
}

export const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** A public attachment on a ticket. */
export async function makeAttachment(
  requester: UserDoc,
  tenant: TenantDoc,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
) {
  const [attachment] = await storeAttachments(ctxOf(requester, tenant), ticket, [
    { filename: 'pixel.png', buffer: tinyPng },
  ]);
  if (!attachment) throw new Error('attachment not stored');
  return attachment;
}
