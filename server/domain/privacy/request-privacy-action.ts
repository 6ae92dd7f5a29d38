import { z } from 'zod';
import { PrivacyRequest, openPrivacyKey, privacyRequestKinds } from '../../../models/privacy-request.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { parseContractInput } from '../sla/contract-input.js';
import { actorRef, isDuplicate } from '../sla/contract-tenant.js';
import { keyed } from '../retention/place-hold.js';
import { privacyTenant } from './privacy-tenant.js';

const optional = (max: number) => z.string().trim().max(max).optional().default('');

/** The request form: which client (admins choose; a client admin's is their own), what, and who. */
export const privacyRequestInputSchema = z
  .object({
    tenantId: optional(24),
    kind: z.enum(privacyRequestKinds),
    email: optional(254)
      .transform((s) => s.toLowerCase())
      .refine((s) => s === '' || z.email().safeParse(s).success, keyed('privacy.errors.email')),
    name: optional(120),
    phone: optional(40).refine(
      (s) => s === '' || s.replace(/\D/g, '').length >= 6,
      keyed('privacy.errors.phone'),
    ),
    note: optional(2000),
  })
  .refine((r) => r.email !== '' || r.name.length >= 3, { ...keyed('privacy.errors.who'), path: ['email'] });

/**
 * Asks for a data subject's export or erasure: a client admin for their company's people, an admin
 * for any client's. One open request per client, kind and person (a unique key, not a read first).
 * Audited in the hash-chained trail with the request's id only: the trail keeps no personal data.
 */
export async function requestPrivacyAction(ctx: Ctx, input: unknown) {
  const data = parseContractInput(privacyRequestInputSchema, input);
  const actor = ctx.actor;
  const tenantId = actor.kind === 'user' && actor.tenantId ? actor.tenantId : data.tenantId;
  if (!tenantId)
    throw new AppError('validation', 'client required', {
      fields: [{ path: 'tenantId', key: 'privacy.errors.client' }],
    });
  const tenant = await privacyTenant(ctx, tenantId);
  const request = await PrivacyRequest.create({
    tenantId: tenant._id,
    kind: data.kind,
    subject: { email: data.email, name: data.name, phone: data.phone },
    note: data.note,
    requestedBy: actorRef(ctx),
    openKey: openPrivacyKey(tenant._id, data.kind, data.email, data.name),
  }).catch((err: unknown) => {
    if (isDuplicate(err))
      throw new AppError('duplicate', 'already requested', {
        fields: [{ path: 'email', key: 'privacy.errors.open' }],
      });
    throw err;
  });
  await recordAudit(ctx, {
    action: 'privacy.requested',
    tenantId: String(tenant._id),
    targetId: String(request._id),
    targetLabel: tenant.code,
    details: { request: String(request._id), kind: data.kind },
  });
  return request;
}
