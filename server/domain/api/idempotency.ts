import { Types } from 'mongoose';
import { IdempotencyKey } from '../../../models/idempotency-key.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { scopeFilter } from '../tenants/scope.js';

export const idempotencyPolicy = {
  /** How long a key is remembered (checked on read; the maintenance job deletes older rows). */
  ttlMs: 24 * 60 * 60_000,
  /**
   * A pending key whose request has not finished after this long is taken over by a retry. A
   * request that fails on our side gives its lock up at once, so a retry runs without waiting.
   */
  lockMs: 15_000,
} as const;

/** Keys are opaque to us: 1-255 visible ASCII characters (a UUID is the usual choice). */
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
  location: string | null;
}

/**
 * `run`: this request runs, creating `resourceId` (the same id for every attempt under the key).
 * `replay`: the answer is stored. `resume`: an earlier attempt under this key has not stored an
 * answer (it may have died after creating `resourceId`): the caller replays the resource if it
 * exists, else runs again creating that same id (a unique index lets it exist once), unless the
 * earlier attempt may still be running (`running`: its lock holds; the caller answers 409).
 */
export type IdempotencyClaim =
  | { kind: 'run'; id: Types.ObjectId; resourceId: Types.ObjectId }
  | { kind: 'resume'; id: Types.ObjectId; resourceId: Types.ObjectId; running: boolean }
  | { kind: 'replay'; response: StoredResponse };

function tenantOf(ctx: Ctx): Types.ObjectId {
  if (!ctx.tenantId) throw new AppError('forbidden', 'idempotency keys belong to one tenant');
  return scopeFilter(ctx).tenantId as Types.ObjectId;
}

/**
 * Claim a key for a request. Inserting the pending row is the claim: the unique index on
 * (tenantId, key) lets exactly one of several concurrent requests win. The others replay the
 * stored response when it is there, get a conflict while it is still running, and a validation
 * error when the key was used for a different request.
 */
// Long function: one atomic-claim protocol, clearer whole than in pieces.
export async function claimIdempotencyKey(
  ctx: Ctx,
  key: string,
  requestHash: string,
): Promise<IdempotencyClaim> {
  if (!idempotencyKeyPattern.test(key)) {
    throw new AppError('validation', 'bad idempotency key', {
      fields: [{ path: 'Idempotency-Key', key: 'api.idempotency_key_invalid' }],
    });
  }
  const tenantId = tenantOf(ctx);
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = new Date();
    try {
      const row = await IdempotencyKey.create({
        tenantId,
        key,
        requestHash,
        state: 'pending',
        resourceId: new Types.ObjectId(),
        lockedUntil: new Date(now.getTime() + idempotencyPolicy.lockMs),
        expiresAt: new Date(now.getTime() + idempotencyPolicy.ttlMs),
      });
      return { kind: 'run', id: row._id, resourceId: row.resourceId as Types.ObjectId };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const existing = await IdempotencyKey.findOne({ tenantId, key }).lean();
    if (!existing) continue; // released or purged meanwhile: claim again
    if (existing.expiresAt.getTime() <= now.getTime()) {
      // Expired: remove exactly that row (a concurrent retry may already have) and claim again.
      await IdempotencyKey.deleteOne({ _id: existing._id, tenantId, expiresAt: existing.expiresAt });
      continue;
    }
    if (existing.requestHash !== requestHash) {
      throw new AppError('validation', 'idempotency key reused for another request', {
        messageKey: 'api.idempotency_mismatch',
        fields: [{ path: 'Idempotency-Key', key: 'api.idempotency_mismatch' }],
      });
    }
    if (existing.state === 'done' && existing.response) {
      const r = existing.response;
      return {
        kind: 'replay',
        response: { status: r.status ?? 200, body: r.body, location: r.location ?? null },
      };
    }
    if (existing.resourceId) {
      // Bound to what it creates: the caller looks for it first. Taking the key over is safe even
      // if the first attempt still ran (the resource's unique id lets only one of them create it).
      const free = !existing.lockedUntil || existing.lockedUntil.getTime() <= now.getTime();
      const taken = free
        ? await IdempotencyKey.findOneAndUpdate(
            { _id: existing._id, tenantId, state: 'pending', lockedUntil: existing.lockedUntil },
            { $set: { lockedUntil: new Date(now.getTime() + idempotencyPolicy.lockMs) } },
          ).lean()
        : null;
      return { kind: 'resume', id: existing._id, resourceId: existing.resourceId, running: !taken };
    }
    if (existing.lockedUntil && existing.lockedUntil.getTime() <= now.getTime()) {
      // Its request died without an answer: take the key over (one conditional update wins).
      const taken = await IdempotencyKey.findOneAndUpdate(
        { _id: existing._id, tenantId, state: 'pending', lockedUntil: existing.lockedUntil },
        { $set: { lockedUntil: new Date(now.getTime() + idempotencyPolicy.lockMs) } },
        { returnDocument: 'after' },
      ).lean();
      if (taken) {
        ctx.log.warn({ key }, 'idempotency key taken over from a request that did not finish');
        return { kind: 'run', id: taken._id, resourceId: new Types.ObjectId() };
      }
      continue;
    }
    throw new AppError('conflict', 'a request with this idempotency key is still running', {
      messageKey: 'api.idempotency_in_progress',
      retryAfterSeconds: 1,
    });
  }
  throw new AppError('conflict', 'idempotency key contended', {
    messageKey: 'api.idempotency_in_progress',
    retryAfterSeconds: 1,
  });
}

/** Store the answer of a claimed key, for every retry within the key's lifetime to replay. */
export async function completeIdempotencyKey(
  ctx: Ctx,
  id: Types.ObjectId,
  response: StoredResponse,
): Promise<void> {
  await IdempotencyKey.updateOne(
    { _id: id, tenantId: tenantOf(ctx), state: 'pending' },
    { $set: { state: 'done', response, lockedUntil: null } },
  );
}

/**
 * The request under a claimed key failed on our side (5xx): its lock goes at once, so that a retry
 * looks for what it may have created and otherwise runs again, without waiting for the lock.
 */
export async function unlockIdempotencyKey(ctx: Ctx, id: Types.ObjectId): Promise<void> {
  await IdempotencyKey.updateOne(
    { _id: id, tenantId: tenantOf(ctx), state: 'pending' },
    { $set: { lockedUntil: new Date(0) } },
  );
}
