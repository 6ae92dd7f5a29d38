import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError } from '../../errors/app-error.js';
import { toAppError } from '../../errors/normalize.js';
import { presentError } from '../../errors/present.js';

/** API clients get JSON; browsers get a page. */
export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/')) return true;
  const accept = req.get('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError('not_found', 'no such page'));
};

/** The one error middleware: every error is shown through the one presenter (errors/present.ts). */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  // Body-parser and similar libraries signal client errors with a status.
  const status = (err as { status?: number; type?: string }).status;
  const appError =
    err instanceof AppError || !status || status >= 500
      ? toAppError(err)
      : new AppError('bad_request', (err as Error).message, { cause: err });
  const locale = req.locale ?? 'en';
  const shown = wantsJson(req)
    ? presentError(appError, locale, 'api')
    : presentError(appError, locale, 'page');
  const log = req.ctx?.log ?? req.log;
  if (shown.status >= 500)
    log.error({ err: appError.cause ?? appError, code: appError.code }, 'request failed');
  else log.info({ code: appError.code, msg: appError.message }, 'request refused');

  res.set(shown.headers);
  if (res.headersSent) return;
  res.status(shown.status);
  if (shown.channel === 'api') {
    res.json(shown.body);
    return;
  }
  res.render(shown.view, { ...shown.model, requestId: String(req.id) });
};
