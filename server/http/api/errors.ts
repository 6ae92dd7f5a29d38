import type { AppError } from '../../errors/app-error.js';
import { errorTable } from '../../errors/error-table.js';
import { t, type Locale } from '../../i18n/i18n.js';

/**
 * The JSON body the error middleware sends for an API error (middleware/errors.ts), built here
 * too so that an idempotent request can store a refusal and replay it byte for byte.
 */
export function apiErrorBody(appError: AppError, locale: Locale): { status: number; body: unknown } {
  const mapping = errorTable[appError.code];
  const message = mapping.expose ? t(locale, appError.messageKey, appError.params) : t(locale, 'errors.internal');
  const fields = mapping.expose ? appError.fields.map((f) => ({ path: f.path, message: t(locale, f.key, f.params) })) : [];
  return { status: mapping.status, body: { error: { code: appError.code, message, ...(fields.length ? { fields } : {}) } } };
}
