import type { Request, RequestHandler } from 'express';
import { authenticateApiToken, type ApiActor } from '../../domain/tenants/api-tokens.js';
import { makeCtx, type Ctx } from '../../domain/context.js';
import { AppError } from '../../errors/app-error.js';
import { localeFromAcceptLanguage } from '../../i18n/i18n.js';

/** The domain context of an API request: the same shape requestCtx builds for pages. */
export function apiCtx(req: Request, actor: ApiActor): Ctx {
  return makeCtx({
    tenantId: actor.tenantId,
    actor,
    requestId: String(req.id),
    log: req.log,
    logFields: { tenantId: actor.tenantId, tokenId: actor.tokenId, userId: actor.userId },
    ip: req.ip ?? null,
  });
}

const bearer = /^Bearer +([^\s]+) *$/i;

/**
 * `Authorization: Bearer <token>` and nothing else: the API never reads cookies (it is mounted
 * before the session middleware), so a browser session cannot be used against it.
 */
export const apiAuth: RequestHandler = async (req, res, next) => {
  res.set('Cache-Control', 'no-store');
  const match = bearer.exec(req.get('authorization') ?? '');
  if (!match?.[1]) {
    res.set('WWW-Authenticate', 'Bearer realm="api"');
    next(new AppError('unauthenticated', 'no bearer token', { messageKey: 'api.token_missing' }));
    return;
  }
  try {
    const actor = await authenticateApiToken(match[1]);
    req.ctx = apiCtx(req, actor);
    if (!localeFromAcceptLanguage(req.get('accept-language'))) req.locale = actor.locale;
    next();
  } catch (err) {
    res.set('WWW-Authenticate', 'Bearer realm="api", error="invalid_token"');
    next(err);
  }
};
