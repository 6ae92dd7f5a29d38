import type { ErrorCode } from './app-error.js';

/** An SMTP reply: the basic reply code and the enhanced status code (RFC 3463). */
export interface SmtpReply {
  code: number;
  enhanced: string;
}

export interface ErrorMapping {
  /** HTTP status for pages and the API. */
  status: number;
  /** Error page template under views/errors, for browsers. */
  view: 'not-found' | 'forbidden' | 'error' | 'rate-limited' | 'unavailable';
  /** Whether the details (message, fields) may be shown to the caller. */
  expose: boolean;
  /**
   * The reply inbound mail gets when it is refused with this error. A 4xx reply tells the
   * sending server to try again later: the mail was not wrong, something here was.
   */
  smtp: SmtpReply;
  /**
   * How a page form shows it: `re-render` the form with the values typed and a message per field;
   * `flash` for a refusal about the state of the thing rather than the input (a lost race), told
   * as a flash message after the redirect by an action without a form of its own (a form
   * re-renders with it); `error-page` for everything else.
   */
  form: 're-render' | 'flash' | 'error-page';
}

const denied: SmtpReply = { code: 550, enhanced: '5.7.1' };
const noSuchAddress: SmtpReply = { code: 550, enhanced: '5.1.1' };
const tooLarge: SmtpReply = { code: 552, enhanced: '5.3.4' };
const malformed: SmtpReply = { code: 554, enhanced: '5.6.0' };
const tryLater: SmtpReply = { code: 451, enhanced: '4.3.0' };

/** The single mapping from error code to what HTTP, pages, sockets and inbound mail show. */
export const errorTable: Record<ErrorCode, ErrorMapping> = {
  bad_request: { status: 400, view: 'error', expose: true, smtp: malformed, form: 'error-page' },
  validation: { status: 422, view: 'error', expose: true, smtp: malformed, form: 're-render' },
  unauthenticated: { status: 401, view: 'forbidden', expose: true, smtp: denied, form: 'error-page' },
  forbidden: { status: 403, view: 'forbidden', expose: true, smtp: denied, form: 'error-page' },
  // Foreign tenants' ids land here too: 404 and nothing more.
  not_found: { status: 404, view: 'not-found', expose: true, smtp: noSuchAddress, form: 'error-page' },
  conflict: { status: 409, view: 'error', expose: true, smtp: tryLater, form: 'flash' },
  duplicate: { status: 409, view: 'error', expose: true, smtp: tryLater, form: 're-render' },
  csrf: { status: 403, view: 'forbidden', expose: true, smtp: tryLater, form: 'error-page' },
  method_not_allowed: { status: 405, view: 'error', expose: true, smtp: tryLater, form: 'error-page' },
  payload_too_large: { status: 413, view: 'error', expose: true, smtp: tooLarge, form: 'error-page' },
  unsupported_media_type: { status: 415, view: 'error', expose: true, smtp: tryLater, form: 'error-page' },
  rate_limited: { status: 429, view: 'rate-limited', expose: true, smtp: tryLater, form: 'error-page' },
  unavailable: { status: 503, view: 'unavailable', expose: true, smtp: tryLater, form: 'error-page' },
  tenant_scope_missing: { status: 500, view: 'error', expose: false, smtp: tryLater, form: 'error-page' },
  internal: { status: 500, view: 'error', expose: false, smtp: tryLater, form: 'error-page' },
};

export interface SocketAck<T> {
  data?: T;
  error?: { code: ErrorCode; message: string; fields?: Array<{ path: string; message: string }> };
}
