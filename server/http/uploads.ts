import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { attachmentRules, type IncomingFile } from '../domain/tickets/attachments.js';
import { AppError } from '../errors/app-error.js';

const parser = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: attachmentRules.maxBytes, files: attachmentRules.maxFiles, fields: 200, fieldSize: 100 * 1024 },
}).any();

/**
 * Multipart forms are parsed once, before the CSRF check (which needs the form's token), for
 * every page route. Routes read the files with `uploadedFiles(req, field)`; they never run a
 * second parser over the same request.
 */
export const multipartForms: RequestHandler = (req, res, next) => {
  if (req.path.startsWith('/api/') || !req.is('multipart/form-data')) return next();
  parser(req, res, (err: unknown) => {
    if (!err) return next();
    const code = (err as { code?: string }).code;
    if (code === 'LIMIT_FILE_SIZE') {
      return next(new AppError('validation', 'file too large', { messageKey: 'attachments.too_large', params: { name: (err as { field?: string }).field ?? '', max: attachmentRules.maxBytes / 1024 / 1024 }, fields: [{ path: 'attachments', key: 'attachments.too_large', params: { name: '', max: attachmentRules.maxBytes / 1024 / 1024 } }] }));
    }
    if (code === 'LIMIT_FILE_COUNT') {
      return next(new AppError('validation', 'too many files', { messageKey: 'attachments.too_many', params: { max: attachmentRules.maxFiles } }));
    }
    next(new AppError('bad_request', 'malformed upload', { cause: err }));
  });
};

export function uploadedFiles(req: Request, field: string): IncomingFile[] {
  const files = (req.files ?? []) as Express.Multer.File[];
  return files.filter((f) => f.fieldname === field && f.size > 0).map((f) => ({ filename: f.originalname, buffer: f.buffer }));
}
