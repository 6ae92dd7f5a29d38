import express, { type RequestHandler } from 'express';
import { AppError } from '../../errors/app-error.js';

/**
 * Request bodies are bounded before anything walks them: JSON at most `jsonLimits.bytes` and
 * `jsonLimits.depth` levels deep, forms at most `formLimits.bytes`. What exceeds a limit, or
 * does not parse, is refused here with a 4xx from the error table (413, 400, 415); nothing
 * after this middleware (validation, the idempotency hash) ever sees an unbounded value.
 */
export const jsonLimits = { bytes: 1024 * 1024, depth: 32 } as const;
export const formLimits = { bytes: 100 * 1024, parameters: 1000 } as const;

const noBody = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How deep a parsed JSON value nests (objects and arrays), counted without recursion, stopping past `max`. */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (!v || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** A body-parser error (it carries `type` and `status`) as the AppError the client gets. */
function bodyError(err: unknown, kind: 'json' | 'form'): AppError {
  const e = err as { type?: string; status?: number };
  if (e.type === 'entity.too.large' || e.type === 'parameters.too.many' || e.status === 413) {
    const max = kind === 'json' ? jsonLimits.bytes : formLimits.bytes;
    return new AppError('payload_too_large', 'request body too large', {
      messageKey: 'limits.too_large',
      params: { kb: Math.round(max / 1024) },
      cause: err,
    });
  }
  if (e.status === 415)
    return new AppError('unsupported_media_type', 'unsupported body encoding', {
      messageKey: 'limits.unsupported_encoding',
      cause: err,
    });
  return new AppError('bad_request', 'malformed request body', {
    messageKey: kind === 'json' ? 'limits.malformed_json' : 'limits.malformed_body',
    cause: err,
  });
}

function bounded(parser: RequestHandler, kind: 'json' | 'form'): RequestHandler {
  return (req, res, next) => {
    if (noBody.has(req.method)) return next();
    parser(req, res, (err?: unknown) => {
      if (err) return next(bodyError(err, kind));
      if (kind === 'json' && jsonDepthExceeds(req.body, jsonLimits.depth)) {
        return next(
          new AppError('bad_request', 'JSON nested too deep', {
            messageKey: 'limits.too_deep',
            params: { max: jsonLimits.depth },
          }),
        );
      }
      next();
    });
  };
}

/** Form and JSON bodies, parsed within their limits (multipart is read later, see uploads.ts). */
export const boundedBodies: RequestHandler[] = [
  bounded(
    express.urlencoded({ extended: false, limit: formLimits.bytes, parameterLimit: formLimits.parameters }),
    'form',
  ),
  bounded(express.json({ limit: jsonLimits.bytes }), 'json'),
];
