import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { can, type Permission } from '../domain/auth/policy.js';
import { attachmentRules, type IncomingFile } from '../domain/tickets/attachments.js';
import { AppError } from '../errors/app-error.js';
import { csrfTokenValid } from './middleware/csrf.js';

/**
 * The page routes that take files. A multipart body anywhere else, or from someone without a
 * session or the route's permission, is refused from its headers alone: not a byte of it is read.
 */
const uploadRoutes: Array<{ path: RegExp; permission?: Permission }> = [
  { path: /^\/tickets\/new\/[\w-]+\/?$/, permission: 'tickets.open' },
  { path: /^\/tickets\/import\/?$/, permission: 'tickets.open' },
  { path: /^\/tickets\/[^/]+\/replies\/?$/ },
  { path: /^\/tickets\/[^/]+\/keying\/import\/?$/, permission: 'quality.key' },
];

const csrfRefused = () =>
  new AppError('csrf', 'invalid CSRF token before a file', { messageKey: 'errors.csrf' });
const tooLarge = (name: string) => {
  const params = { name, max: attachmentRules.maxBytes / 1024 / 1024 };
  return new AppError('validation', 'file too large', {
    messageKey: 'attachments.too_large',
    params,
    fields: [{ path: 'attachments', key: 'attachments.too_large', params }],
  });
};

/**
 * multer calls back only once it has read the whole body, even to refuse it; a refusal found
 * while reading (a file before a valid token, a file over the cap) is answered at once through
 * this hook instead, and the connection is cut shortly after the answer (`refuse`).
 */
const refuseNow = Symbol('refuseNow');
type UploadRequest = Request & { [refuseNow]?: (err: AppError) => void };

/**
 * Files into memory, each within the size cap (busboy stops a file at the cap while reading it:
 * nothing beyond it is held, and the refusal is answered at once). `gate` may refuse a file
 * before any of its bytes are read.
 */
export function cappedMemoryStorage(
  tooLarge: (filename: string) => AppError,
  gate: (req: Request) => AppError | null = () => null,
): multer.StorageEngine {
  return {
    _handleFile(req, file, cb) {
      const refuseAtOnce = (req as UploadRequest)[refuseNow];
      const refused = gate(req);
      if (refused) {
        refuseAtOnce?.(refused);
        file.stream.resume();
        cb(refused);
        return;
      }
      file.stream.once('limit', () => refuseAtOnce?.(tooLarge(file.originalname)));
      const chunks: Buffer[] = [];
      let size = 0;
      file.stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      file.stream.once('error', (err) => cb(err));
      file.stream.once('end', () => cb(null, { buffer: Buffer.concat(chunks, size), size }));
    },
    _removeFile(_req, file, cb) {
      delete (file as Partial<Express.Multer.File>).buffer;
      cb(null);
    },
  };
}

/**
 * After refusing a body part-way, how long the rest of it is read and thrown away before the
 * connection is cut. Closing at once made the client's kernel reset the connection while the
 * client was still sending, and a reset discards the answer it had not read yet: a slow client
 * saw "connection reset" instead of the refusal (a lingering close, as web servers do).
 */
const LINGER_MS = 2_000;

/** Refuse the request: answer at once, discard what still arrives for a moment, then cut. */
function refuse(req: Request, res: Response, next: (err: unknown) => void, err: AppError): void {
  res.once('finish', () => {
    if (req.complete) return;
    req.resume();
    const cut = setTimeout(() => req.socket.destroy(), LINGER_MS);
    cut.unref();
    req.once('end', () => clearTimeout(cut));
  });
  next(err);
}

/**
 * Run a multer parser over the request: its own errors become `mapError`'s AppErrors, and a
 * refusal found while reading (cappedMemoryStorage) is answered without waiting for the body.
 */
export function runUploadParser(
  parser: RequestHandler,
  req: Request,
  res: Response,
  next: (err?: unknown) => void,
  mapError: (err: unknown) => AppError,
): void {
  let settled = false;
  const settle = (err?: unknown): void => {
    if (settled) return;
    settled = true;
    delete (req as UploadRequest)[refuseNow];
    if (!err) return next();
    refuse(req, res, next, err instanceof AppError ? err : mapError(err));
  };
  (req as UploadRequest)[refuseNow] = settle;
  parser(req, res, settle);
}

/** The form's CSRF token is its first field (views/partials/csrf.hbs): a file before a valid one is refused unread. */
const parser = multer({
  storage: cappedMemoryStorage(tooLarge, (req) => (csrfTokenValid(req) ? null : csrfRefused())),
  limits: {
    fileSize: attachmentRules.maxBytes,
    files: attachmentRules.maxFiles,
    fields: 100,
    fieldSize: 100 * 1024,
    parts: attachmentRules.maxFiles + 100,
  },
  defParamCharset: 'utf8',
}).any();

function mayUpload(req: Request): AppError | null {
  const route = uploadRoutes.find((r) => r.path.test(req.path));
  if (!route || req.method !== 'POST')
    return new AppError('unsupported_media_type', 'no files taken here', {
      messageKey: 'limits.no_upload_here',
    });
  if (!req.user) return new AppError('unauthenticated', 'sign in before uploading');
  if (route.permission && !can(req.ctx.actor, route.permission))
    return new AppError('forbidden', `missing ${route.permission}`);
  // A token sent in the header is checked now; one in the form is checked when it arrives.
  if (req.get('x-csrf-token') !== undefined && !csrfTokenValid(req)) return csrfRefused();
  return null;
}

/**
 * Multipart forms, for every page route, before the CSRF check (which then reads the parsed
 * token again): first who is sending what where (from the headers and the session), then the
 * body, streamed. Routes read the files with `uploadedFiles(req, field)`.
 */
export const multipartForms: RequestHandler = (req, res, next) => {
  if (req.path.startsWith('/api/') || !req.is('multipart/form-data')) return next();
  const refused = mayUpload(req);
  if (refused) return refuse(req, res, next, refused);
  runUploadParser(parser, req, res, next, (err) => {
    const code = (err as { code?: string }).code;
    if (code === 'LIMIT_FILE_SIZE') return tooLarge((err as { field?: string }).field ?? '');
    if (code === 'LIMIT_FILE_COUNT')
      return new AppError('validation', 'too many files', {
        messageKey: 'attachments.too_many',
        params: { max: attachmentRules.maxFiles },
      });
    return new AppError('bad_request', 'malformed upload', {
      messageKey: 'limits.malformed_body',
      cause: err,
    });
  });
};

export function uploadedFiles(req: Request, field: string): IncomingFile[] {
  const files = (req.files ?? []) as Express.Multer.File[];
  return files
    .filter((f) => f.fieldname === field && f.size > 0)
    .map((f) => ({ filename: f.originalname, buffer: f.buffer }));
}

/** A form value sent once or several times, as a list of strings. */
const listOf = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);

/**
 * The files a ticket form carries: those kept from its refused submission (pending uploads), those
 * the person chose to remove, and the new ones in this request. One reading for every such form.
 */
export function formUploads(req: Request): {
  keptIds: string[];
  removedIds: string[];
  fresh: IncomingFile[];
} {
  const body = req.body as Record<string, unknown>;
  return {
    keptIds: listOf(body.pendingUploads),
    removedIds: listOf(body.removeUploads),
    fresh: uploadedFiles(req, 'attachments'),
  };
}
