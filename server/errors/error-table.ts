import type { ErrorCode } from './app-error.js';

export interface ErrorMapping {
  /** HTTP status for pages and the API. */
  status: number;
  /** Error page template under views/errors, for browsers. */
  view: 'not-found' | 'forbidden' | 'error' | 'rate-limited' | 'unavailable';
  /** Whether the details (message, fields) may be shown to the caller. */
  expose: boolean;
}

/** The single mapping from error code to what HTTP, pages and sockets show. */
export const errorTable: Record<ErrorCode, ErrorMapping> = {
  bad_request: { status: 400, view: 'error', expose: true },
  validation: { status: 422, view: 'error', expose: true },
  unauthenticated: { status: 401, view: 'forbidden', expose: true },
  forbidden: { status: 403, view: 'forbidden', expose: true },
  // Foreign tenants' ids land here too: 404 and nothing more.
  not_found: { status: 404, view: 'not-found', expose: true },
  conflict: { status: 409, view: 'error', expose: true },
  duplicate: { status: 409, view: 'error', expose: true },
  csrf: { status: 403, view: 'forbidden', expose: true },
  method_not_allowed: { status: 405, view: 'error', expose: true },
  payload_too_large: { status: 413, view: 'error', expose: true },
  unsupported_media_type: { status: 415, view: 'error', expose: true },
  rate_limited: { status: 429, view: 'rate-limited', expose: true },
  unavailable: { status: 503, view: 'unavailable', expose: true },
  tenant_scope_missing: { status: 500, view: 'error', expose: false },
  internal: { status: 500, view: 'error', expose: false },
};

export interface SocketAck<T> {
  data?: T;
  error?: { code: ErrorCode; message: string; fields?: Array<{ path: string; message: string }> };
}
