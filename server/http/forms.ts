import type { Request, Response } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { fieldsFromZod, toAppError } from '../errors/normalize.js';
import { conflictFlash, presentError } from '../errors/present.js';

/**
 * Parse input with a domain schema; a failure becomes a `validation` AppError with field keys.
 * Every route's query and body pass here: the input is given to the field messages, so that a
 * parameter repeated where one value is expected is told so (not "required").
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new AppError('validation', 'invalid input', { fields: fieldsFromZod(result.error, input) });
  return result.data;
}

/**
 * Run a form action; on an error the table says a form shows itself (`form` other than
 * `error-page`: validation, duplicate, conflict) re-render the form with the submitted values and
 * a message per field, with the table's status (422/409), so nothing typed is lost.
 */
export async function handleForm(
  req: Request,
  res: Response,
  view: string,
  locals: Record<string, unknown> | (() => Record<string, unknown> | Promise<Record<string, unknown>>),
  action: () => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (err) {
    const shown = presentError(err, req.locale, 'page');
    if (shown.form === 'error-page') throw shown.appError;
    const errors: Record<string, string> = {};
    for (const f of shown.fields) errors[f.path] = f.message;
    const values = { ...(req.body as Record<string, unknown>) };
    delete values.password;
    delete values.confirm;
    delete values._csrf;
    // A page's locals are read only when the form is shown again: a successful post redirects.
    res.status(shown.status).render(view, {
      ...(typeof locals === 'function' ? await locals() : locals),
      values,
      errors,
      formError: shown.message,
    });
  }
}

/**
 * Show a page whose query is its filter form (a GET form): `show` renders the page for a query.
 * When the query is refused for a reason the table shows on a form (validation), the page is
 * shown again on its defaults (an empty query) with the typed query as `values`, a message per
 * field as `errors` and the table's status (422), as handleForm does for a post.
 */
export async function handleFilter(
  req: Request,
  res: Response,
  show: (query: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  try {
    await show(req.query as Record<string, unknown>);
  } catch (err) {
    await showRefusedFilter(req, res, err, show);
  }
}

/**
 * A download of a filtered page (its CSV or PDF, same query): when the query is refused the way
 * handleFilter shows on the page, the page itself comes back (422, the typed query, a message per
 * field) rather than a bare error where a file was expected.
 */
export async function handleExport(
  req: Request,
  res: Response,
  show: (query: Record<string, unknown>) => Promise<void>,
  send: () => Promise<void>,
): Promise<void> {
  try {
    await send();
  } catch (err) {
    await showRefusedFilter(req, res, err, show);
  }
}

/** The page on its defaults, with what was typed and why it was refused (or the error thrown on). */
async function showRefusedFilter(
  req: Request,
  res: Response,
  err: unknown,
  show: (query: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  const shown = presentError(err, req.locale, 'page');
  if (shown.form === 'error-page') throw shown.appError;
  const errors: Record<string, string> = {};
  for (const f of shown.fields) errors[f.path] = f.message;
  // The message once: at its field when it is a field's, else above the form.
  const formError = shown.fields.some((f) => f.message === shown.message) ? null : shown.message;
  Object.assign(res.locals, { values: req.query, errors, formError });
  res.status(shown.status);
  await show({});
}

/**
 * The one way a page action without a form of its own tells a conflict (a claim or a change that
 * lost a race): back to `to` with the message as a flash. Any other error is thrown on.
 */
export function backWithConflict(req: Request, res: Response, to: string, err: unknown): void {
  const flash = conflictFlash(err);
  if (!flash) throw toAppError(err);
  req.session.flash = flash;
  res.redirect(to);
}

export { AppError };
