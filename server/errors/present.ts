import { t, type Locale } from '../i18n/i18n.js';
import type { AppError, ErrorCode } from './app-error.js';
import { errorTable, type ErrorMapping, type SocketAck } from './error-table.js';
import { toAppError } from './normalize.js';

/** Where an error is shown: a browser page, the JSON API, a socket ack, or an SMTP reply. */
export type ErrorChannel = 'page' | 'api' | 'socket' | 'smtp';

/** The error body of the API and of socket acks: code, translated message, a message per field. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: Array<{ path: string; message: string }> };
}

interface PresentedBase {
  /** What was thrown, normalised. */
  appError: AppError;
  /** The error table's row for it. */
  mapping: ErrorMapping;
  /** HTTP status (also what decides whether an adapter logs it as a failure of ours: >= 500). */
  status: number;
  /** Response headers, e.g. Retry-After. */
  headers: Record<string, string>;
  /** The message for people, in the locale (the generic one where the table hides details). */
  message: string;
  /** A message per refused field, in the locale (none where the table hides details). */
  fields: Array<{ path: string; message: string }>;
}

export interface PresentedPage extends PresentedBase {
  channel: 'page';
  /** The error page, under views/. */
  view: string;
  /** Its model (the adapter adds what only the request knows, e.g. the request id). */
  model: { title: string; message: string; fields: Array<{ path: string; message: string }>; status: number };
  /** How a form shows this error (error-table.ts `form`). */
  form: ErrorMapping['form'];
}

export interface PresentedApi extends PresentedBase {
  channel: 'api';
  body: ErrorBody;
}

export interface PresentedSocket extends PresentedBase {
  channel: 'socket';
  ack: SocketAck<never>;
}

export interface PresentedSmtp extends PresentedBase {
  channel: 'smtp';
  /** The SMTP reply: basic code, and the text after it (enhanced status first). */
  smtp: { code: number; message: string };
}

export interface PresentedByChannel {
  page: PresentedPage;
  api: PresentedApi;
  socket: PresentedSocket;
  smtp: PresentedSmtp;
}

/** The text of a transient SMTP reply: the mail was fine, the sender retries it later. */
export const SMTP_TRY_LATER = 'Temporary failure, please try again later';

/**
 * The one place that turns an error into what a caller is shown, for every channel, from the one
 * error table. SMTP replies are protocol text for the sending server, in English: a permanent
 * refusal names the reason, a transient one says only to try again.
 */
export function presentError<C extends ErrorChannel>(
  err: unknown,
  locale: Locale,
  channel: C,
): PresentedByChannel[C];
export function presentError(
  err: unknown,
  locale: Locale,
  channel: ErrorChannel,
): PresentedByChannel[ErrorChannel] {
  const appError = toAppError(err);
  const mapping = errorTable[appError.code];
  const message = mapping.expose
    ? t(locale, appError.messageKey, appError.params)
    : t(locale, 'errors.internal');
  const fields = mapping.expose
    ? appError.fields.map((f) => ({ path: f.path, message: t(locale, f.key, f.params) }))
    : [];
  const headers: Record<string, string> =
    appError.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(appError.retryAfterSeconds) };
  const base: PresentedBase = { appError, mapping, status: mapping.status, headers, message, fields };
  const body: ErrorBody = { error: { code: appError.code, message, ...(fields.length ? { fields } : {}) } };
  switch (channel) {
    case 'page':
      return {
        ...base,
        channel,
        view: `errors/${mapping.view}`,
        // A field whose message is the page's own (a refusal worded for its one field, e.g. a
        // report period) is not said twice.
        model: {
          title: message,
          message,
          fields: fields.filter((f) => f.message !== message),
          status: mapping.status,
        },
        form: mapping.form,
      };
    case 'api':
      return { ...base, channel, body };
    case 'socket':
      return { ...base, channel, ack: body };
    case 'smtp': {
      const { code, enhanced } = mapping.smtp;
      return {
        ...base,
        channel,
        smtp: { code, message: `${enhanced} ${code >= 500 ? appError.message : SMTP_TRY_LATER}` },
      };
    }
  }
}

/** A flash message as the session keeps it (request-types.ts). */
export interface FlashMessage {
  kind: 'error';
  key: string;
  /** Numbers stay numbers, so that a count picks its plural form. */
  params: Record<string, string | number>;
}

/**
 * A refusal about the state of a thing (error-table.ts `form: 'flash'`, e.g. a claim that lost a
 * race) as the flash message a page shows after the redirect; null for any other error.
 */
export function conflictFlash(err: unknown): FlashMessage | null {
  const appError = toAppError(err);
  if (errorTable[appError.code].form !== 'flash') return null;
  return {
    kind: 'error',
    key: appError.messageKey,
    params: Object.fromEntries(
      Object.entries(appError.params).map(([k, v]) => [k, typeof v === 'number' ? v : String(v)]),
    ),
  };
}
