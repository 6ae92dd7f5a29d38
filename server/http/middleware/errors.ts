import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError } from '../../errors/app-error.js';
import { errorTable } from '../../errors/error-table.js';
import { toAppError } from '../../errors/normalize.js';
import { t } from '../../i18n/i18n.js';

/** API clients get JSON; browsers get a page. */
export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/')) return true;
  const accept = req.get('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError('not_found', 'no such page'));
};

/** The one error middleware: every error is mapped through the error table. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  // Body-parser and similar libraries signal client errors with a status.
  const status = (err as { status?: number; type?: string }).status;
  const appError =
    err instanceof AppError || !status || status >= 500 ? toAppError(err) : new AppError('bad_request', (err as Error).message, { cause: err });
  const mapping = errorTable[appError.code];
  const locale = req.locale ?? 'en';
  const log = req.ctx?.log ?? req.log;
  if (mapping.status >= 500) log.error({ err: appError.cause ?? appError, code: appError.code }, 'request failed');
  else log.info({ code: appError.code, msg: appError.message }, 'request refused');

  if (appError.retryAfterSeconds !== undefined) res.set('Retry-After', String(appError.retryAfterSeconds));
  if (res.headersSent) return;
  const message = mapping.expose ? t(locale, appError.messageKey, appError.params) : t(locale, 'errors.internal');
  const fields = mapping.expose
    ? appError.fields.map((f) => ({ path: f.path, message: t(locale, f.key, f.params) }))
    : [];
  res.status(mapping.status);
  if (wantsJson(req)) {
    res.json({ error: { code: appError.code, message, ...(fields.length ? { fields } : {}) } });
    return;
  }
  res.render(`errors/${mapping.view}`, { title: message, message, fields, requestId: String(req.id), status: mapping.status });
};
