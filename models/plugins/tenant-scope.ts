import { Schema, type Aggregate, type Query, type Types } from 'mongoose';

import { AppError } from '../../server/errors/app-error.js';

/**
 * Tenant scoping, enforced for every tenant-owned collection in one place.
 *
 * A query on a scoped model must name `tenantId` in its filter (the domain's `scopeFilter`
 * puts it there from the caller's context), or say out loud that it crosses tenants with
 * `.setOptions({ allTenants: true })` (provider-wide admin work, sign-in by e-mail). Anything
 * else throws, so a forgotten filter fails the first test that runs it instead of leaking.
 */
const queryOps = [
  'countDocuments',
  'deleteMany',
  'deleteOne',
  'distinct',
  'find',
  'findOne',
  'findOneAndDelete',
  'findOneAndReplace',
  'findOneAndUpdate',
  'replaceOne',
  'updateMany',
  'updateOne',
] as const;

export interface TenantScopeOptions {
  /** Provider-level rows (staff users, provider audit events) carry `tenantId: null`. */
  nullable?: boolean;
}

export interface TenantOwned {
  tenantId: Types.ObjectId | null;
}

/** Whether a filter names `tenantId`, at its top level or inside `$and` (also used by server/db/scoped-collection.ts). */
export function hasTenantKey(filter: Record<string, unknown>): boolean {
  if (Object.prototype.hasOwnProperty.call(filter, 'tenantId')) return filter.tenantId !== undefined;
  const and = filter.$and;
  return (
    Array.isArray(and) &&
    and.some((part) => part && typeof part === 'object' && hasTenantKey(part as Record<string, unknown>))
  );
}

/**
 * The tenant reference every tenant-owned schema declares (spelled out in the schema so the
 * inferred document types carry it).
 */
export function tenantRef() {
  return {
    type: Schema.Types.ObjectId,
    ref: 'Tenant',
    required: true,
    immutable: true,
    index: true,
  } as const;
}

/** For collections that also hold provider-level rows (staff users, provider audit events). */
export function optionalTenantRef() {
  return { type: Schema.Types.ObjectId, ref: 'Tenant', default: null, immutable: true, index: true } as const;
}

type AnyQuery = Query<unknown, unknown>;

export function tenantScopePlugin(schema: Schema): void {
  if (!schema.path('tenantId'))
    throw new Error('tenantScopePlugin: the schema must declare tenantId: tenantRef()');

  schema.pre(
    queryOps as unknown as RegExp,
    { document: false, query: true },
    function enforceTenantFilter(this: AnyQuery) {
      if (this.getOptions().allTenants === true) return;
      if (!hasTenantKey(this.getFilter() as Record<string, unknown>)) {
        throw new AppError(
          'tenant_scope_missing',
          `${this.model.modelName}.${(this as { op?: string }).op ?? 'query'} without a tenant filter`,
        );
      }
    },
  );

  schema.pre('aggregate', function enforceTenantMatch(this: Aggregate<unknown>) {
    if ((this.options as { allTenants?: boolean }).allTenants === true) return;
    const first = this.pipeline()[0] as { $match?: Record<string, unknown> } | undefined;
    if (!first?.$match || !hasTenantKey(first.$match)) {
      throw new AppError('tenant_scope_missing', 'aggregate without a leading $match on tenantId');
    }
  });
}

declare module 'mongoose' {
  interface QueryOptions {
    /** Explicitly cross tenants (see tenantScopePlugin). */
    allTenants?: boolean;
  }
  interface AggregateOptions {
    allTenants?: boolean;
  }
}
