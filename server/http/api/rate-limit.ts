import type { Request, RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { AppError } from '../../errors/app-error.js';

export const API_RATE_WINDOW_MS = 60_000;

/**
 * At most `perMinute` requests per token and minute (counted in this process: with several
 * portal nodes behind a balancer each node allows that many). Over the limit: 429 with
 * Retry-After, through the error table like every other refusal.
 */
export function apiRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: API_RATE_WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Runs after apiAuth: the token, not the address, is what is limited.
    keyGenerator: (req) =>
      req.ctx?.actor.kind === 'api' ? `token:${req.ctx.actor.tokenId}` : 'unauthenticated',
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
      const seconds = reset
        ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000))
        : API_RATE_WINDOW_MS / 1000;
      next(
        new AppError('rate_limited', 'api rate limit', {
          messageKey: 'api.rate_limited',
          params: { limit: perMinute },
          retryAfterSeconds: seconds,
        }),
      );
    },
  });
}
