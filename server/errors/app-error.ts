/**
 * The one error type the layers throw at each other. Adapters (HTTP, sockets, jobs) map the
 * code through `error-table.ts`; nothing else decides a status code.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'duplicate'
  | 'csrf'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'tenant_scope_missing'
  | 'internal';

export interface FieldError {
  /** Dotted path of the field, as named in the form or JSON body. */
  path: string;
  /** Translation key of the message. */
  key: string;
  params?: Record<string, string | number>;
}

export interface AppErrorOptions {
  /** Translation key shown to people; defaults to `errors.<code>`. */
  messageKey?: string;
  params?: Record<string, string | number>;
  fields?: FieldError[];
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly messageKey: string;
  readonly params: Record<string, string | number>;
  readonly fields: FieldError[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    super(message ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.messageKey = options.messageKey ?? `errors.${code}`;
    this.params = options.params ?? {};
    this.fields = options.fields ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const notFound = (what = 'resource'): AppError => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'forbidden'): AppError => new AppError('forbidden', message);
export const validation = (fields: FieldError[], message = 'invalid input'): AppError =>
  new AppError('validation', message, { fields });
