import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import mongoose from 'mongoose';
import { ZodError } from 'zod';
import { AppError, type FieldError } from './app-error.js';

interface MongoLikeError {
  code?: unknown;
  keyPattern?: Record<string, unknown>;
  keyValue?: Record<string, unknown>;
}

/**
 * What was given at an issue's path, when the caller passes the input that was parsed (zod does
 * not keep it in its issues); `absent` when the path leads nowhere.
 */
const absent = Symbol('absent');
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (!v || typeof v !== 'object' || !Object.hasOwn(v, key)) return absent;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Translation key for a zod issue, so catalogues stay small and generic. */
function zodFieldKey(issue: ZodError['issues'][number], input: unknown = absent): string {
  const given = input === absent ? absent : valueAt(input, issue.path);
  // A parameter repeated (`?status=open&status=closed`, or a list in JSON) where one value is
  // expected: the query parser made a list of it, which the schema then calls the wrong type (a
  // number coerced from it, NaN: "required") or no choice. Said as it is, for every route alike.
  // A union (a date or nothing, a range or a list of ids) fails each branch on it: the same case.
  if (
    (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') &&
    Array.isArray(given) &&
    given.length > 1
  )
    return 'input_checks.given_twice';
  const custom = (issue as { params?: { key?: string } }).params?.key;
  // A key of its own catalogue (`area.key`), or one of the generic `validation.*` ones.
  if (custom) return custom.includes('.') ? custom : `validation.${custom}`;
  const origin = (issue as { origin?: string }).origin;
  switch (issue.code) {
    case 'too_small':
      return origin === 'string'
        ? Number((issue as { minimum?: number }).minimum) <= 1
          ? 'validation.required'
          : 'validation.too_short'
        : 'validation.too_small';
    case 'too_big':
      return origin === 'string' ? 'validation.too_long' : 'validation.too_big';
    case 'invalid_format':
      return (issue as { format?: string }).format === 'email'
        ? 'validation.email'
        : 'validation.invalid_format';
    case 'invalid_value':
      return 'validation.invalid_choice';
    case 'invalid_type':
      // A schema may name the message itself (e.g. a number given text, null, a boolean or a list).
      if (/^[a-z_]+\.[a-z_.]+$/.test(issue.message)) return issue.message;
      // zod keeps no input in its issues: what was given, when known, tells absent from wrong.
      return (given === absent ? (issue as { input?: unknown }).input : given) === undefined
        ? 'validation.required'
        : 'validation.invalid_type';
    default:
      return 'validation.invalid';
  }
}

/**
 * A message per refused field, at most one each (the first issue of a path: a value can break
 * several checks at once, e.g. an address too long and not https, and the caller is told one
 * thing to fix). `input`, the value that was parsed, lets a list given for one value be told so.
 */
export function fieldsFromZod(err: ZodError, input: unknown = absent): FieldError[] {
  const seen = new Set<string>();
  return err.issues.flatMap((issue): FieldError[] => {
    // A field a strict schema does not know: named, one by one (not a nameless "not valid").
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({
        path: [...issue.path.map(String), k].join('.'),
        key: 'unknown_fields.unknown',
        params: {},
      }));
    const params: Record<string, string | number> = {};
    if ('minimum' in issue && (typeof issue.minimum === 'number' || typeof issue.minimum === 'bigint'))
      params.min = Number(issue.minimum);
    if ('maximum' in issue && (typeof issue.maximum === 'number' || typeof issue.maximum === 'bigint'))
      params.max = Number(issue.maximum);
    // What a custom check tells about the refusal (e.g. a VAT number's country and shape).
    const custom = (issue as { params?: Record<string, unknown> }).params;
    if (issue.code === 'custom' && custom)
      for (const [k, v] of Object.entries(custom))
        if (k !== 'key' && (typeof v === 'string' || typeof v === 'number')) params[k] = v;
    const path = issue.path.map(String).join('.');
    if (seen.has(path)) return [];
    seen.add(path);
    return [{ path, key: zodFieldKey(issue, input), params }];
  });
}

/**
 * The fields of the violated unique index. MongoDB names them in keyPattern; the embedded engine
 * only in the message ("index: sku_1 dup key: ..."), so fall back to the index name.
 */
function duplicateKeys(err: MongoLikeError, message: string): string[] {
  const fromPattern = Object.keys(err.keyPattern ?? err.keyValue ?? {});
  if (fromPattern.length) return fromPattern;
  const index = /index: (\S+)/.exec(message)?.[1] ?? '';
  return index.split(/_-?1(?:_|$)/).filter(Boolean);
}

/**
 * Errors that mean "the database cannot be reached now" (it died, restarts, or the network to it
 * is down): the request is not wrong and nothing of ours broke, so the caller is told to retry.
 */
const DATABASE_UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'MongooseServerSelectionError',
]);

/** Seconds a client is asked to wait when the database is unreachable (a restart takes a few). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

function databaseUnreachable(err: unknown): boolean {
  // The driver wraps a connection error met inside insertMany/bulkWrite in a MongoBulkWriteError
  // that keeps the original only as `errorResponse` (not as `cause`): follow both.
  const inner = (e: Error): unknown => {
    const response = (e as { errorResponse?: unknown }).errorResponse;
    return response instanceof Error ? response : (e as { cause?: unknown }).cause;
  };
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = inner(e), depth++) {
    // By class as well as by name: subclasses name themselves (the driver's PoolClearedOnNetworkError,
    // met by requests in flight at the instant the engine died, is a MongoNetworkError by another name).
    if (
      DATABASE_UNREACHABLE.has(e.name) ||
      e instanceof MongoNetworkError ||
      e instanceof MongoServerSelectionError ||
      e instanceof MongoNotConnectedError ||
      e instanceof MongoTopologyClosedError
    )
      return true;
    // A socket the engine closed, met by the driver while writing a command before it noticed
    // (Node's EPIPE "This socket has been ended by the other party", not wrapped by the driver:
    // seen in the crash-mixed test when the engine is killed mid-request).
    if (
      ['EPIPE', 'ECONNRESET'].includes(String((e as { code?: unknown }).code)) &&
      /[\\/]mongodb[\\/]/.test(e.stack ?? '')
    )
      return true;
    // mongoose with bufferCommands off, on a connection that is down.
    if (
      /^Cannot call `[^`]+` before initial connection is complete|Client must be connected before running operations/.test(
        e.message,
      )
    )
      return true;
  }
  return false;
}

/**
 * Turn whatever was thrown into an AppError, so the mapping table is the only place that
 * knows about statuses. Unknown errors become `internal` and keep their cause for the log.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError)
    return new AppError('validation', 'invalid input', { fields: fieldsFromZod(err) });
  if (err instanceof mongoose.Error.ValidationError) {
    const fields = Object.entries(err.errors).map(([path, e]) => ({
      path,
      key:
        e instanceof mongoose.Error.CastError
          ? 'validation.invalid_type'
          : `validation.${e.kind || 'invalid'}`,
    }));
    return new AppError('validation', 'invalid input', { fields, cause: err });
  }
  // A malformed id can only mean "no such thing" to the caller; never leak why.
  if (err instanceof mongoose.Error.CastError) return new AppError('not_found', 'not found', { cause: err });
  const mongo = err as MongoLikeError;
  if (err instanceof Error && mongo.code === 11000) {
    const keys = duplicateKeys(mongo, err.message).filter((k) => k !== 'tenantId');
    return new AppError('duplicate', 'duplicate', {
      fields: keys.map((path) => ({ path, key: 'validation.duplicate' })),
      cause: err,
    });
  }
  if (databaseUnreachable(err))
    return new AppError('unavailable', 'database unreachable', {
      cause: err,
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    });
  return new AppError('internal', 'internal error', { cause: err });
}
