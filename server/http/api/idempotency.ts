import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { Types } from 'mongoose';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  unlockIdempotencyKey,
  type StoredResponse,
} from '../../domain/api/idempotency.js';
import { AppError } from '../../errors/app-error.js';
import { presentError } from '../../errors/present.js';

/** JSON with object keys sorted, so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What a key is bound to: the method, the path and the body. */
export function requestHashOf(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${canonical(req.body ?? null)}`)
    .digest('hex');
}

export function sendStored(res: Response, response: StoredResponse): void {
  if (response.location) res.location(response.location);
  res.status(response.status).json(response.body);
}

/**
 * Run a creating request at most once per `Idempotency-Key` (when the client sends one): the
 * first request runs and its answer is stored; a retry with the same key and body gets that
 * answer again with `Idempotent-Replayed: true`. A refusal (4xx) is stored like a success.
 *
 * The key is bound to the id of what the request creates (`run` receives it, the same for every
 * attempt under the key). A retry whose earlier attempt stored no answer (it failed, or died with
 * the database) asks `find` for that id: found, the retry answers with it; not found, it runs
 * again under the same id, so the unique _id lets it exist once whatever happened before. Without
 * a key, `run` gets a fresh id.
 */
export async function idempotent(
  req: Request,
  res: Response,
  run: (resourceId: Types.ObjectId) => Promise<StoredResponse>,
  find: (resourceId: Types.ObjectId) => Promise<StoredResponse | null>,
): Promise<void> {
  const key = req.get('idempotency-key');
  if (key === undefined) {
    sendStored(res, await run(new Types.ObjectId()));
    return;
  }
  const claim = await claimIdempotencyKey(req.ctx, key, requestHashOf(req));
  if (claim.kind === 'replay') {
    res.set('Idempotent-Replayed', 'true');
    sendStored(res, claim.response);
    return;
  }
  let response: StoredResponse;
  try {
    const earlier = claim.kind === 'resume' ? await find(claim.resourceId) : null;
    if (earlier) res.set('Idempotent-Replayed', 'true');
    else if (claim.kind === 'resume' && claim.running) {
      throw new AppError('conflict', 'a request with this idempotency key is still running', {
        messageKey: 'api.idempotency_in_progress',
        retryAfterSeconds: 1,
      });
    }
    response = earlier ?? (await run(claim.resourceId));
  } catch (err) {
    // Stored exactly as the error middleware sends it, so that a retry replays it byte for byte.
    const { appError, status, body } = presentError(err, req.locale, 'api');
    // A failure of ours (5xx) leaves the key pending and bound: a retry finds what this attempt
    // may have created before it failed, or runs again under the same id.
    if (status < 500) {
      // The still-running answer is not this key's outcome: nothing is stored for it.
      if (!(claim.kind === 'resume' && claim.running))
        await completeIdempotencyKey(req.ctx, claim.id, { status, body, location: null });
    } else
      await unlockIdempotencyKey(req.ctx, claim.id).catch((e: unknown) =>
        req.ctx.log.warn({ err: e }, 'could not unlock an idempotency key'),
      );
    throw appError;
  }
  await completeIdempotencyKey(req.ctx, claim.id, response);
  sendStored(res, response);
}
