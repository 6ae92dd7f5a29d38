import type { Request, Response } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { toAppError } from '../errors/normalize.js';
import { t } from '../i18n/i18n.js';

/** Parse input with a domain schema; a failure becomes a `validation` AppError with field keys. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw toAppError(result.error);
  return result.data;
}

/**
 * Run a form action; on a validation or duplicate error re-render the form with the submitted
 * values and a message per field (status 422/409) so nothing typed is lost.
 */
export async function handleForm(
  req: Request,
  res: Response,
  view: string,
  locals: Record<string, unknown>,
  action: () => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (err) {
    const appError = toAppError(err);
    if (appError.code !== 'validation' && appError.code !== 'duplicate' && appError.code !== 'conflict') throw appError;
    const errors: Record<string, string> = {};
    for (const f of appError.fields) errors[f.path] = t(req.locale, f.key, f.params);
    const values = { ...(req.body as Record<string, unknown>) };
    delete values.password;
    delete values.confirm;
    delete values._csrf;
    res.status(appError.code === 'validation' ? 422 : 409).render(view, {
      ...locals,
      values,
      errors,
      formError: t(req.locale, appError.messageKey, appError.params),
    });
  }
}

export { AppError };
