import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { z } from 'zod';
import { ApiToken } from '../../../models/api-token.js';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { collectionNameOf } from '../../db/scoped-collection.js';
import { AppError, notFound } from '../../errors/app-error.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import { deriveCtx, type Actor, type Ctx, type PersonActor } from '../context.js';
import { domainEvents } from '../events.js';
import { onTenantForgotten } from './cache.js';
import { scopeFilter } from './scope.js';

export const apiTokenPolicy = {
  /** `bdk_` + 32 random bytes in base64url (43 characters). */
  prefix: 'bdk_',
  randomBytes: 32,
  /** Characters of the token kept in clear for display (`bdk_` + 8). */
  displayChars: 12,
  /** lastUsedAt is refreshed at most this often, so a busy token does not write on every call. */
  touchEveryMs: 60_000,
} as const;

const tokenPattern = /^bdk_[A-Za-z0-9_-]{43}$/;

export const apiTokenInputSchema = z.object({ name: z.string().trim().min(2).max(80) });
export type ApiTokenInput = z.infer<typeof apiTokenInputSchema>;

export const hashApiToken = (raw: string): string => createHash('sha256').update(raw, 'utf8').digest('hex');

/** A client admin's own tenant: the only one their token functions ever touch. */
function ownTenant(ctx: Ctx): { tenantId: string; actor: PersonActor } {
  requirePermission(ctx, 'tokens.manage');
  const actor = ctx.actor;
  if (actor.kind !== 'user' || !actor.tenantId) throw new AppError('forbidden', 'not a client account');
  return { tenantId: actor.tenantId, actor };
}

/**
 * Create a token for the caller's company. The raw token is returned here and only here: the
 * database keeps its hash, so nobody can show it again.
 */
export async function createApiToken(ctx: Ctx, input: ApiTokenInput) {
  const { tenantId, actor } = ownTenant(ctx);
  const raw = `${apiTokenPolicy.prefix}${randomBytes(apiTokenPolicy.randomBytes).toString('base64url')}`;
  const token = await ApiToken.create({
    tenantId: new Types.ObjectId(tenantId),
    name: input.name,
    tokenHash: hashApiToken(raw),
    prefix: raw.slice(0, apiTokenPolicy.displayChars),
    createdBy: { id: new Types.ObjectId(actor.userId), name: actor.name, email: actor.email },
  });
  await recordAudit(ctx, {
    action: 'api_token.created',
    tenantId,
    targetId: String(token._id),
    targetLabel: `${input.name} (${token.prefix}…)`,
  });
  ctx.log.info({ tokenId: String(token._id), prefix: token.prefix }, 'api token created');
  const { tokenHash: _hash, ...stored } = token.toObject();
  return { token: raw, apiToken: stored };
}

/** The company's tokens, newest first (never their hashes). */
export async function listApiTokens(ctx: Ctx) {
  const { tenantId } = ownTenant(ctx);
  return ApiToken.find({ ...scopeFilter(deriveCtx(ctx, { tenantId })) })
    .sort({ createdAt: -1, _id: -1 })
    .limit(500)
    .select({ tokenHash: 0 })
    .lean();
}

/**
 * Revoke one of the company's tokens: one conditional update, so revoking twice at the same
 * moment records one revocation. Revoking a revoked token changes nothing; a foreign or unknown
 * id is "not found".
 */
export async function revokeApiToken(ctx: Ctx, id: string): Promise<{ revoked: boolean }> {
  const { tenantId } = ownTenant(ctx);
  if (!Types.ObjectId.isValid(id)) throw notFound('api token');
  const filter = { ...scopeFilter(deriveCtx(ctx, { tenantId })), _id: new Types.ObjectId(id) };
  const revoked = await ApiToken.findOneAndUpdate(
    { ...filter, revokedAt: null },
    { $set: { revokedAt: new Date() } },
    { returnDocument: 'after' },
  )
    .select({ tokenHash: 0 })
    .lean();
  if (!revoked) {
    if (!(await ApiToken.exists(filter))) throw notFound('api token');
    return { revoked: false };
  }
  forgetApiTokens();
  await recordAudit(ctx, {
    action: 'api_token.revoked',
    tenantId,
    targetId: id,
    targetLabel: `${revoked.name} (${revoked.prefix}…)`,
  });
  ctx.log.info({ tokenId: id }, 'api token revoked');
  return { revoked: true };
}

const invalidToken = (why: string): AppError =>
  new AppError('unauthenticated', `api token refused: ${why}`, { messageKey: 'api.token_invalid' });

export type ApiActor = Extract<Actor, { kind: 'api' }>;

interface TokenWithOwners {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  tenants: Array<{ status: string; locale: string }>;
  users: Array<{
    _id: Types.ObjectId;
    tenantId: Types.ObjectId | null;
    status: string;
    name: string;
    email: string;
    locale: string | null;
  }>;
}

/**
 * Accepted tokens, by hash, for `ttlMs`: the lookup below is a round trip (and two joins) on
 * every API request. What ends a token takes effect at once on the node where it happens
 * (revoking it, disabling its creator or changing their access, changing its tenant: the cache
 * is cleared) and within `ttlMs` on the others. Refusals are never cached.
 */
export const apiTokenCachePolicy = { ttlMs: 2_000, maxEntries: 10_000 } as const;

const acceptedTokens = new Map<string, { at: number; actor: Promise<ApiActor> }>();

/** Forget every accepted token of this process (each is looked up again on its next request). */
export function forgetApiTokens(): void {
  acceptedTokens.clear();
}
domainEvents.on('user.sessions_revoked', forgetApiTokens);
onTenantForgotten(forgetApiTokens);

/**
 * The actor behind a bearer token: the token must exist and not be revoked, its tenant must be
 * active and the admin who created it must still be an active member of that tenant (a token
 * acts for its creator, so disabling the person stops their tokens). Every failure looks the
 * same to the caller. An accepted token is remembered for apiTokenCachePolicy.ttlMs.
 */
export async function authenticateApiToken(raw: string, now = new Date()): Promise<ApiActor> {
  if (!tokenPattern.test(raw)) throw invalidToken('malformed');
  const tokenHash = hashApiToken(raw);
  const hit = acceptedTokens.get(tokenHash);
  if (hit && Date.now() - hit.at < apiTokenCachePolicy.ttlMs) return hit.actor;
  if (acceptedTokens.size >= apiTokenCachePolicy.maxEntries) acceptedTokens.clear();
  // The lookup in flight is what is cached: concurrent requests with one token share it; a
  // refusal (or a failure) drops it. Cleared meanwhile: it is not put back.
  const entry = { at: Date.now(), actor: lookUpApiToken(tokenHash, now) };
  acceptedTokens.set(tokenHash, entry);
  entry.actor.catch(() => {
    if (acceptedTokens.get(tokenHash) === entry) acceptedTokens.delete(tokenHash);
  });
  return entry.actor;
}

async function lookUpApiToken(tokenHash: string, now: Date): Promise<ApiActor> {
  // One round trip for the token, its tenant and its creator.
  // Crossing tenants on purpose: the token is what tells us the tenant.
  const [token] = await ApiToken.aggregate<TokenWithOwners>([
    { $match: { tokenHash } },
    { $limit: 1 },
    {
      $lookup: { from: collectionNameOf(Tenant), localField: 'tenantId', foreignField: '_id', as: 'tenants' },
    },
    {
      $lookup: { from: collectionNameOf(User), localField: 'createdBy.id', foreignField: '_id', as: 'users' },
    },
    // Whole documents: the engine projects dotted paths into arrays differently from MongoDB.
    { $project: { tenantId: 1, lastUsedAt: 1, revokedAt: 1, tenants: 1, users: 1 } },
  ]).option({ allTenants: true });
  if (!token) throw invalidToken('unknown');
  if (token.revokedAt) throw invalidToken('revoked');
  const tenant = token.tenants[0];
  const user = token.users[0];
  if (!tenant || tenant.status !== 'active') throw invalidToken('tenant not active');
  if (!user || user.status !== 'active' || String(user.tenantId) !== String(token.tenantId))
    throw invalidToken('creator not active');
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= apiTokenPolicy.touchEveryMs) {
    // Conditional, so many requests in the same minute on several nodes write once between them.
    await ApiToken.updateOne(
      {
        _id: token._id,
        tenantId: token.tenantId,
        $or: [
          { lastUsedAt: null },
          { lastUsedAt: { $lt: new Date(now.getTime() - apiTokenPolicy.touchEveryMs) } },
        ],
      },
      { $set: { lastUsedAt: now } },
    );
  }
  const locale: Locale = isLocale(user.locale) ? user.locale : isLocale(tenant.locale) ? tenant.locale : 'en';
  return {
    kind: 'api',
    tokenId: String(token._id),
    tenantId: String(token.tenantId),
    name: user.name,
    userId: String(user._id),
    email: user.email,
    locale,
  };
}

/**
 * The person a command-line task acts as for a tenant: its first active client admin (the
 * oldest account). A token acts for its creator and stops working when that person is no
 * longer active, so a token without a person behind it is never made.
 */
export async function tenantAdminCtx(ctx: Ctx, tenantCode: string): Promise<Ctx> {
  if (ctx.actor.kind !== 'system')
    throw new AppError('forbidden', 'only system tasks act for a tenant admin');
  const tenant = await Tenant.findOne({ code: tenantCode.trim().toLowerCase() }).lean();
  if (!tenant) throw notFound('tenant');
  if (tenant.status !== 'active') throw new AppError('conflict', `tenant ${tenant.code} is suspended`);
  const admin = await User.findOne({ tenantId: tenant._id, role: 'client_admin', status: 'active' })
    .sort({ createdAt: 1, _id: 1 })
    .lean();
  if (!admin)
    throw new AppError('conflict', `tenant ${tenant.code} has no active client admin: invite one first`);
  const tenantId = String(tenant._id);
  const locale: Locale = isLocale(admin.locale)
    ? admin.locale
    : isLocale(tenant.locale)
      ? tenant.locale
      : 'en';
  const actor: Actor = {
    kind: 'user',
    userId: String(admin._id),
    email: admin.email,
    name: admin.name,
    role: 'client_admin',
    tenantId,
    tenantIds: [tenantId],
    locale,
  };
  return deriveCtx(ctx, { actor, tenantId, logFields: { tenantId, actingAs: admin.email } });
}
