import express, {
  Router,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import multer from 'multer';
import type { Config } from '../../config/config.js';
import { addTicketAttachments } from '../../domain/tickets/add-attachments.js';
import {
  attachmentRules,
  listAttachments,
  openAttachment,
  type IncomingFile,
} from '../../domain/tickets/attachments.js';
import { createTicket } from '../../domain/tickets/create.js';
import { listPoTickets } from '../../domain/tickets/list-po-tickets.js';
import { receiveEInvoice } from '../../domain/einvoices/receive-einvoice.js';
import { replyAndSetStatus } from '../../domain/queues/reply-and-set-status.js';
import { findTicket, getTicket, listTickets, listTimeline } from '../../domain/tickets/queries.js';
import { getEndpoint, listEndpoints } from '../../domain/webhooks/list-endpoints.js';
import { registerEndpoint } from '../../domain/webhooks/register-endpoint.js';
import { rotateSecret } from '../../domain/webhooks/rotate-secret.js';
import { sendTestEvent } from '../../domain/webhooks/send-test-event.js';
import { listAttempts } from '../../domain/webhooks/list-attempts.js';
import { replayEvents } from '../../domain/webhooks/replay-events.js';
import { apiAttemptListQuery, apiReplayInput } from './webhook-ops-schemas.js';
import { updateEndpoint } from '../../domain/webhooks/update-endpoint.js';
import { AppError } from '../../errors/app-error.js';
import { toAppError } from '../../errors/normalize.js';
import { localeFromAcceptLanguage, t } from '../../i18n/i18n.js';
import { parseInput } from '../forms.js';
import { boundedBodies } from '../middleware/bodies.js';
import { cappedMemoryStorage, runUploadParser } from '../uploads.js';
import { apiAuth } from './auth.js';
import { idempotent } from './idempotency.js';
import { API_BASE, docsModel, openApiDocument, operations } from './openapi.js';
import { apiRateLimit } from './rate-limit.js';
import { recordFileApiRoutes } from './record-files.js';
import { apiReplyInput, apiTicketInput, apiTicketListQuery } from './schemas.js';
import { apiEndpointInput, apiEndpointUpdate, apiSecretRotation } from './webhook-schemas.js';
import {
  serializeEInvoiceReceipt,
  serializeAttachment,
  serializeTicket,
  serializeTicketDetail,
  serializeTicketSummary,
  serializeReply,
  ticketUrl,
} from './serialize.js';

const param = (req: Request, name: string): string => String(req.params[name] ?? '');

const fileFieldError = (key: string, params: Record<string, string | number> = {}): AppError =>
  new AppError('validation', 'upload refused', {
    messageKey: key,
    params,
    fields: [{ path: 'file', key, params }],
  });

/**
 * Multipart `file` fields into memory, within the attachment rules, each file stopped at the cap
 * while it is read (the refusal answered at once); limits become 422s.
 */
function receiveFiles(): RequestHandler {
  const mb = Math.round(attachmentRules.maxBytes / 1024 / 1024);
  const parse = multer({
    storage: cappedMemoryStorage((name) => fileFieldError('attachments.too_large', { name, max: mb })),
    limits: {
      fileSize: attachmentRules.maxBytes,
      files: attachmentRules.maxFiles,
      fields: 20,
      fieldSize: 10 * 1024,
      parts: attachmentRules.maxFiles + 20,
    },
    defParamCharset: 'utf8',
  }).array('file', attachmentRules.maxFiles);
  return (req, res, next) =>
    runUploadParser(parse, req, res, next, (err) => {
      const code = (err as { code?: string }).code;
      if (code === 'LIMIT_FILE_SIZE')
        return fileFieldError('attachments.too_large', {
          name: String((err as { field?: string }).field ?? 'file'),
          max: mb,
        });
      if (code === 'LIMIT_FILE_COUNT' || code === 'LIMIT_UNEXPECTED_FILE')
        return fileFieldError('api.unexpected_file', { max: attachmentRules.maxFiles });
      return new AppError('bad_request', 'malformed multipart body', {
        messageKey: 'limits.malformed_body',
        cause: err,
      });
    });
}

/** The content types an e-invoice file is sent as (the body is the file, as it is). */
export const einvoiceContentTypes = [
  'application/xml',
  'text/xml',
  'application/pkcs7-mime',
  'application/octet-stream',
  'application/zip',
];

/**
 * The raw body of an e-invoice upload, at most the attachment size cap; another content type
 * is refused (415), an over-large body too (413), before the domain sees anything.
 */
function receiveRawFile(): RequestHandler {
  const parse = express.raw({ type: einvoiceContentTypes, limit: attachmentRules.maxBytes });
  const mb = Math.round(attachmentRules.maxBytes / 1024 / 1024);
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { type?: string; status?: number };
        if (e.type === 'entity.too.large' || e.status === 413)
          return next(
            new AppError('payload_too_large', 'e-invoice too large', {
              messageKey: 'attachments.too_large',
              params: { name: 'file', max: mb },
              cause: err,
            }),
          );
        return next(
          new AppError('bad_request', 'malformed request body', {
            messageKey: 'limits.malformed_body',
            cause: err,
          }),
        );
      }
      if (!Buffer.isBuffer(req.body))
        return next(
          new AppError('unsupported_media_type', 'not an e-invoice content type', {
            messageKey: 'limits.unsupported_encoding',
          }),
        );
      next();
    });
}

/** The file's name: the `filename` query parameter or the `X-Filename` header, else one by its type. */
function einvoiceFilename(req: Request): string {
  const given = typeof req.query.filename === 'string' ? req.query.filename : req.get('x-filename');
  if (given?.trim()) return given.trim().slice(0, 200);
  const type = req.get('content-type') ?? '';
  return type.includes('zip') ? 'einvoice.zip' : type.includes('xml') ? 'einvoice.xml' : 'einvoice.p7m';
}

/** The domain names refused files `attachments`; in the API the field is `file`. */
function asFileField(err: unknown): unknown {
  const appError = toAppError(err);
  if (appError.code !== 'validation') return appError;
  return new AppError('validation', appError.message, {
    messageKey: appError.messageKey,
    params: appError.params,
    fields: appError.fields.map((f) => (f.path === 'attachments' ? { ...f, path: 'file' } : f)),
    cause: err,
  });
}

/**
 * The REST API for client systems, mounted at /api/v1 before the session middleware: token
 * auth per request, rate limit per token, JSON in and out (errors from the error table).
 */
// Long function: a route table: one short handler per API operation.
export function apiRoutes(config: Config): Router {
  const router = Router();
  // The body is read after the token: its refusals (malformed JSON, too large, too deep) speak the
  // language the token's user reads when the request names none (as every other refusal does).
  const secured = [apiAuth, apiRateLimit(config.apiRateLimit), ...boundedBodies];

  router.use((req, _res, next) => {
    req.locale = localeFromAcceptLanguage(req.get('accept-language')) ?? config.defaultLocale;
    next();
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument('en'));
  });

  router.get('/docs', (req, res) => {
    res.locals.locale = req.locale;
    res.render('api-docs', {
      title: t(req.locale, 'api.docs.title'),
      base: API_BASE,
      operations: docsModel(req.locale),
      maxFiles: attachmentRules.maxFiles,
    });
  });

  router.post('/tickets', ...secured, async (req, res) => {
    const created = (ticket: Parameters<typeof serializeTicket>[0] & { number: string }) => ({
      status: 201,
      body: serializeTicket(ticket),
      location: ticketUrl(ticket.number),
    });
    await idempotent(
      req,
      res,
      async (id) =>
        created(await createTicket(req.ctx, parseInput(apiTicketInput, req.body ?? {}), 'api', [], { id })),
      async (id) => {
        const ticket = await findTicket(req.ctx, String(id));
        return ticket ? created(ticket) : null;
      },
    );
  });

  // The body is the file as it is. Idempotent by content: the same bytes again make no ticket
  // twice (an Idempotency-Key adds nothing and is not needed).
  router.post('/einvoices', ...secured, receiveRawFile(), async (req, res) => {
    const receipt = await receiveEInvoice(req.ctx, { filename: einvoiceFilename(req) }, req.body as Buffer);
    const created = receipt.invoices.some((i) => i.created);
    res.status(created ? 201 : 200).json(serializeEInvoiceReceipt(req.locale, receipt));
  });

  router.get('/tickets', ...secured, async (req, res) => {
    const query = parseInput(apiTicketListQuery, req.query);
    const page = await listTickets(req.ctx, { ...query, scope: 'company', q: undefined, tenant: undefined });
    res.json({ data: page.rows.map(serializeTicketSummary), page: page.page, hasMore: page.hasMore });
  });

  router.get('/tickets/:ref', ...secured, async (req, res) => {
    const ticket = await getTicket(req.ctx, param(req, 'ref'));
    const [timeline, attachments, poTickets] = await Promise.all([
      listTimeline(req.ctx, ticket),
      listAttachments(req.ctx, ticket),
      listPoTickets(req.ctx, ticket),
    ]);
    res.json(serializeTicketDetail(ticket, timeline, attachments, poTickets));
  });

  router.post('/tickets/:ref/replies', ...secured, async (req, res) => {
    const input = parseInput(apiReplyInput, req.body ?? {});
    // The portal composer's operation: the reply, the claim of an unassigned ticket by staff, then
    // the status; a refused status leaves the reply sent and says why.
    const sent = await replyAndSetStatus(req.ctx, param(req, 'ref'), {
      body: input.body,
      internal: false,
      confirm: false,
      then: input.status,
    });
    res.status(201).json(serializeReply(req.locale, sent));
  });

  // The ticket is looked up before the body is read: a foreign ticket costs no upload.
  const ticketFirst: RequestHandler = async (req, _res, next) => {
    await getTicket(req.ctx, param(req, 'ref'));
    next();
  };
  router.post('/tickets/:ref/attachments', ...secured, ticketFirst, receiveFiles(), async (req, res) => {
    const files: IncomingFile[] = ((req.files ?? []) as Express.Multer.File[]).map((f) => ({
      filename: f.originalname,
      buffer: f.buffer,
    }));
    if (!files.length) throw fileFieldError('api.file_required');
    try {
      const { attachments } = await addTicketAttachments(req.ctx, param(req, 'ref'), files);
      res.status(201).json({ data: attachments.map(serializeAttachment) });
    } catch (err) {
      throw asFileField(err);
    }
  });

  router.use(recordFileApiRoutes(secured));

  router.get('/attachments/:id', ...secured, async (req: Request, res: Response, next: NextFunction) => {
    const { attachment, stream } = await openAttachment(req.ctx, param(req, 'id'));
    const filename = attachment.filename;
    stream.once('error', (err) => {
      if (res.headersSent) return res.destroy(err);
      for (const h of ['Content-Type', 'Content-Length', 'Content-Disposition']) res.removeHeader(h);
      next(err);
    });
    res.status(200);
    res.setHeader('Content-Type', attachment.contentType);
    res.setHeader('Content-Length', String(attachment.size));
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${filename.replace(/["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Digest', `sha-256=${Buffer.from(attachment.sha256, 'hex').toString('base64')}`);
    stream.pipe(res);
  });

  router.get('/webhook-endpoints', ...secured, async (req, res) => {
    res.json({ data: await listEndpoints(req.ctx) });
  });

  router.post('/webhook-endpoints', ...secured, async (req, res) => {
    const endpoint = await registerEndpoint(req.ctx, parseInput(apiEndpointInput, req.body ?? {}));
    res.status(201).location(`${API_BASE}/webhook-endpoints/${endpoint.id}`).json(endpoint);
  });

  router.get('/webhook-endpoints/:endpointId', ...secured, async (req, res) => {
    res.json(await getEndpoint(req.ctx, param(req, 'endpointId')));
  });

  router.patch('/webhook-endpoints/:endpointId', ...secured, async (req, res) => {
    const input = parseInput(apiEndpointUpdate, req.body ?? {});
    res.json(await updateEndpoint(req.ctx, param(req, 'endpointId'), input));
  });

  router.post('/webhook-endpoints/:endpointId/rotate-secret', ...secured, async (req, res) => {
    const input = parseInput(apiSecretRotation, req.body ?? {});
    res.json(await rotateSecret(req.ctx, param(req, 'endpointId'), input));
  });

  router.post('/webhook-endpoints/:endpointId/test', ...secured, async (req, res) => {
    res.status(202).json(await sendTestEvent(req.ctx, param(req, 'endpointId')));
  });

  router.get('/webhook-endpoints/:endpointId/attempts', ...secured, async (req, res) => {
    const query = parseInput(apiAttemptListQuery, req.query);
    res.json(await listAttempts(req.ctx, param(req, 'endpointId'), query));
  });

  router.post('/webhook-endpoints/:endpointId/replay', ...secured, async (req, res) => {
    const input = parseInput(apiReplayInput, req.body ?? {});
    res.json(await replayEvents(req.ctx, param(req, 'endpointId'), input));
  });

  // A known path with a method it does not serve: 405 naming the ones it does (a plain
  // middleware, not routes: the route table stays the list of operations).
  const known = [...new Set(operations.map((op) => op.path))].map((path) => ({
    pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+')}/?$`),
    allow: [
      ...new Set(
        operations
          .filter((op) => op.path === path)
          .flatMap((op) => (op.method === 'get' ? ['GET', 'HEAD'] : [op.method.toUpperCase()])),
      ),
    ]
      .sort()
      .join(', '),
  }));
  router.use((req, res, next) => {
    const match = known.find((k) => k.pattern.test(req.path));
    if (!match) return next();
    res.set('Allow', match.allow);
    next(
      new AppError('method_not_allowed', 'method not allowed', {
        messageKey: 'limits.method_not_allowed',
        params: { allowed: match.allow },
      }),
    );
  });
  // An id in the path that does not even decode (`%E0`) names nothing: 404, as any unknown id,
  // once the token is read (401 without one, and the 404 in the language of the token's user).
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof URIError)) return next(err);
    void apiAuth(req, res, (authError?: unknown) =>
      next(authError ?? new AppError('not_found', 'undecodable id in the path', { cause: err })),
    );
  });

  return router;
}
