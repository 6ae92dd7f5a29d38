import { z } from 'zod';
import { RetentionPolicy, retentionKinds, retentionStarts } from '../../../models/retention-policy.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { parseContractInput } from '../sla/contract-input.js';
import { actorRef, isDuplicate } from '../sla/contract-tenant.js';
import { policyOfTenant, retentionTenant } from './get-retention-policy.js';

const MONTH_DAY = /^(\d{2})-(\d{2})$/;
const daysIn = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isMonthDay = (s: string): boolean => {
  const m = MONTH_DAY.exec(s);
  if (!m) return false;
  const month = Number(m[1]);
  const day = Number(m[2]);
  return month >= 1 && month <= 12 && day >= 1 && day <= (daysIn[month - 1] ?? 0);
};

/** A check whose message is the page's own (a translation key), as the SLA forms' checks are. */
const keyed = (key: string) => ({ message: key, params: { key } });

const whole = (max: number, key: string) =>
  z
    .string()
    .trim()
    .refine((s) => /^\d{1,2}$/.test(s) && Number(s) <= max, keyed(key))
    .transform(Number);

/** One kind's fields on the form: `<kind>_mode` (default|own), `<kind>_years`, `<kind>_months`, `<kind>_start`. */
const kindFields = Object.fromEntries(
  retentionKinds.flatMap((kind) => [
    [`${kind}_mode`, z.enum(['default', 'own'])],
    [`${kind}_years`, whole(30, 'retention.policies.errors.years').optional()],
    [`${kind}_months`, whole(11, 'retention.policies.errors.months').optional()],
    [`${kind}_start`, z.enum(retentionStarts).optional()],
  ]),
);

/** The retention page's form, every error at once with the field's own message. */
export const retentionInputSchema = z
  .object({
    country: z
      .string()
      .trim()
      .toUpperCase()
      .refine((s) => /^([A-Z]{2})?$/.test(s), keyed('retention.policies.errors.country')),
    financialYearEnd: z.string().trim().refine(isMonthDay, keyed('retention.policies.errors.year_end')),
    ...kindFields,
  })
  .superRefine((input: Record<string, unknown>, ctx) => {
    for (const kind of retentionKinds) {
      if (input[`${kind}_mode`] !== 'own') continue;
      for (const part of ['years', 'months', 'start'])
        if (input[`${kind}_${part}`] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [`${kind}_${part}`],
            message: 'retention.policies.errors.required',
            params: { key: 'retention.policies.errors.required' },
          });
      if (input[`${kind}_years`] === 0 && input[`${kind}_months`] === 0)
        ctx.addIssue({
          code: 'custom',
          path: [`${kind}_years`],
          message: 'retention.policies.errors.zero',
          params: { key: 'retention.policies.errors.zero' },
        });
    }
  });

/**
 * Saves a client's retention (account managers and admins): its country, financial year end and
 * own rules; a kind left on "default" follows the country. One upsert of the client's one
 * document, audited with what changed (no personal data: kinds and periods only).
 */
export async function saveRetentionPolicy(ctx: Ctx, tenantId: string, input: unknown) {
  const tenant = await retentionTenant(ctx, tenantId);
  const data = parseContractInput(retentionInputSchema, input) as Record<string, unknown>;
  const before = await policyOfTenant(ctx, tenant);
  const rules = retentionKinds
    .filter((kind) => data[`${kind}_mode`] === 'own')
    .map((kind) => ({
      kind,
      years: Number(data[`${kind}_years`]),
      months: Number(data[`${kind}_months`]),
      start: data[`${kind}_start`] as (typeof retentionStarts)[number],
    }));
  const update = {
    $set: {
      country: (data.country as string) || null,
      financialYearEnd: data.financialYearEnd as string,
      rules,
      updatedBy: actorRef(ctx),
    },
  };
  const write = () =>
    RetentionPolicy.findOneAndUpdate({ tenantId: tenant._id }, update, {
      upsert: true,
      returnDocument: 'after',
      runValidators: true,
      setDefaultsOnInsert: true,
    }).lean();
  // Two first saves at once: the unique index lets one insert, the other updates on retry.
  await write().catch((err: unknown) => (isDuplicate(err) ? write() : Promise.reject(err)));
  const after = await policyOfTenant(ctx, tenant);
  const brief = (p: typeof before) => ({
    country: p.country,
    financialYearEnd: p.financialYearEnd,
    rules: p.rules.map((r) => `${r.kind}:${r.years}y${r.months}m:${r.start}${r.own ? '' : ':default'}`),
  });
  await recordAudit(ctx, {
    action: 'retention.policy_saved',
    tenantId: String(tenant._id),
    targetId: String(tenant._id),
    targetLabel: tenant.code,
    details: { before: brief(before), after: brief(after) },
  });
  return after;
}
