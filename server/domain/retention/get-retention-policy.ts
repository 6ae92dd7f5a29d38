import type { Types } from 'mongoose';
import { RetentionPolicy, retentionKinds, type RetentionKind } from '../../../models/retention-policy.js';
import { Tenant } from '../../../models/tenant.js';
import { notFound } from '../../errors/app-error.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { isCanonicalId, withTenant } from '../tenants/scope.js';
import { listTenants } from '../tenants/tenants.js';
import { countryOf, defaultsFor, type RetentionRule } from './retention-defaults.js';

export interface EffectiveRule extends RetentionRule {
  kind: RetentionKind;
  /** Set by the client (else its country's default). */
  own: boolean;
  /** The country default it replaces, for the page to show beside it. */
  fallback: RetentionRule;
}

export interface EffectivePolicy {
  tenant: {
    _id: Types.ObjectId;
    code: string;
    legalName: string;
    timeZone: string;
    vatNumber?: string | null;
  };
  /** The country set on the page, or null when it is taken from the VAT number. */
  countrySet: string | null;
  country: string | null;
  financialYearEnd: string;
  rules: EffectiveRule[];
}

/** The tenant a retention page is about: a client of the caller's portfolio (else 404). */
export async function retentionTenant(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'retention.manage');
  if (!isCanonicalId(tenantId)) throw notFound('tenant');
  withTenant(ctx, tenantId);
  const tenant = await Tenant.findById(tenantId).lean();
  if (!tenant) throw notFound('tenant');
  return tenant;
}

/** A client's retention as it applies: each kind's own rule, or its country's default. */
export async function policyOfTenant(_ctx: Ctx, tenant: EffectivePolicy['tenant']): Promise<EffectivePolicy> {
  const stored = await RetentionPolicy.findOne({ tenantId: tenant._id }).lean();
  const country = countryOf(stored?.country, tenant.vatNumber);
  const defaults = defaultsFor(country);
  const rules = retentionKinds.map((kind): EffectiveRule => {
    const own = stored?.rules.find((r) => r.kind === kind);
    const fallback = defaults[kind];
    return own
      ? { kind, years: own.years, months: own.months, start: own.start, own: true, fallback }
      : { kind, ...fallback, own: false, fallback };
  });
  return {
    tenant,
    countrySet: stored?.country ?? null,
    country,
    financialYearEnd: stored?.financialYearEnd ?? '12-31',
    rules,
  };
}

/** The retention page's reading: the client checked against the caller, then its policy. */
export async function getRetentionPolicy(ctx: Ctx, tenantId: string): Promise<EffectivePolicy> {
  return policyOfTenant(ctx, await retentionTenant(ctx, tenantId));
}

/** The retention index: each client the caller serves, its country and how many own rules it has. */
export async function listRetentionClients(ctx: Ctx) {
  requirePermission(ctx, 'retention.manage');
  const tenants = await listTenants(ctx);
  return Promise.all(
    tenants.map(async (tenant) => {
      const policy = await policyOfTenant(ctx, tenant);
      return { tenant, country: policy.country, own: policy.rules.filter((r) => r.own).length };
    }),
  );
}
