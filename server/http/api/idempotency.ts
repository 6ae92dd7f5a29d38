import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
  type StoredResponse,
} from '../../domain/api/idempotency.js';
import { toAppError } from '../../errors/normalize.js';
import { apiErrorBody } from './errors.js';

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
  return createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${canonical(req.body ?? null)}`).digest('hex');
}

export function sendStored(res: Response, response: StoredResponse): void {
  if (response.location) res.location(response.location);
  res.status(response.status).json(response.body);
}

/**
 * Run a creating request at most once per `Idempotency-Key` (when the client sends one): the
 * first request runs and its answer is stored; a retry with the same key and body gets that
 * answer again with `Idempotent-Replayed: true`. A refusal (4xx) is stored like a success; on a
 * failure of ours (5xx) the key is released so that a retry can run.
 */
export async function idempotent(req: Request, res: Response, run: () => Promise<StoredResponse>): Promise<void> {
  const key = req.get('idempotency-key');
  if (key === undefined) {
    sendStored(res, await run());
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
    response = await run();
  } catch (err) {
    const appError = toAppError(err);
    const { status, body } = apiErrorBody(appError, req.locale);
    if (status < 500) await completeIdempotencyKey(req.ctx, claim.id, { status, body, location: null });
    else await releaseIdempotencyKey(req.ctx, claim.id).catch((e: unknown) => req.ctx.log.error({ err: e }, 'could not release an idempotency key'));
    throw appError;
  }
  await completeIdempotencyKey(req.ctx, claim.id, response);
  sendStored(res, response);
}
