import type { RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import { AppError } from '../../errors/app-error.js';

const { generateToken, isRequestValid } = csrfSync({
  getTokenFromRequest: (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const fromBody = typeof body?._csrf === 'string' ? body._csrf : undefined;
    return fromBody ?? req.get('x-csrf-token') ?? undefined;
  },
});

/** Whether the request carries this session's token (in the parsed form so far, or the header). */
export const csrfTokenValid = (req: Parameters<typeof isRequestValid>[0]): boolean => isRequestValid(req);

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchronizer-token CSRF protection for every state-changing request made with a session
 * cookie. The API (bearer tokens, no cookie) is exempt by construction.
 */
export const csrfProtection: RequestHandler = (req, res, next) => {
  if (!safeMethods.has(req.method) && !req.path.startsWith('/api/') && !isRequestValid(req)) {
    next(new AppError('csrf', 'invalid CSRF token', { messageKey: 'errors.csrf' }));
    return;
  }
  // Rendering a token starts a session; make it only where a page renders one.
  Object.defineProperty(res.locals, 'csrfToken', {
    get: () => generateToken(req),
    enumerable: true,
    configurable: true,
  });
  next();
};
