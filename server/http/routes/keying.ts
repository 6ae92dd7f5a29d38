import { Router, type Request } from 'express';
import { closeLot } from '../../domain/quality/close-lot.js';
import { finishBatch } from '../../domain/quality/finish-batch.js';
import { importRecordFile, recordFileOf } from '../../domain/quality/import-records.js';
import { keyRecord, keyRecordSchema } from '../../domain/quality/key-record.js';
import { keyingView, sourceDocument } from '../../domain/quality/keying-view.js';
import { recordInspection, recordInspectionSchema } from '../../domain/quality/record-inspection.js';
import { startBatch } from '../../domain/quality/batch.js';
import { openAttachment } from '../../domain/tickets/attachments.js';
import { AppError } from '../../errors/app-error.js';
import { conflictFlash } from '../../errors/present.js';
import { t } from '../../i18n/i18n.js';
import { backWithConflict, handleForm, parseInput } from '../forms.js';
import { routePermission } from '../middleware/guards.js';
import { sendRecordsExport } from '../record-files.js';
import { inspectionLocals } from './inspection-switching.js';
import { uploadedFiles } from '../uploads.js';

/** Source documents shown inline beside the keying form; anything else is only linked. */
const inlineTypes = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/plain',
]);

const listOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? [value] : [];

/**
 * The keying screen of a data-entry ticket (issue #18): choose the layout, key records (keyboard
 * only; public/js/keying.js checks fields as typed from the rules the page carries), import and
 * export CSV or XLSX, finish the batch; and the inspection screen of its sample. Thin: every rule is in
 * server/domain/quality/.
 */
// Long function: a route table: the keying and inspection pages of a ticket.
export function keyingRoutes(): Router {
  const router = Router();
  const base = (req: Request) => `/tickets/${String(req.params.ref)}`;

  const keyingPage = async (req: Request) => {
    const view = await keyingView(req.ctx, String(req.params.ref));
    return {
      title: t(req.locale, 'keying.title', { number: view.ticket.number }),
      ...view,
      sourceInline: view.source ? inlineTypes.has(view.source.contentType) : false,
    };
  };

  router.get('/tickets/:ref/keying', routePermission('quality.key'), async (req, res) => {
    res.render('tickets/keying', await keyingPage(req));
  });

  router.post('/tickets/:ref/keying/start', routePermission('quality.key'), async (req, res) => {
    const layoutId = String((req.body as Record<string, unknown>).layoutId ?? '');
    try {
      await startBatch(req.ctx, String(req.params.ref), layoutId);
    } catch (err) {
      if (conflictFlash(err)) return backWithConflict(req, res, `${base(req)}/keying`, err);
      throw err;
    }
    res.redirect(`${base(req)}/keying`);
  });

  router.post('/tickets/:ref/keying/records', routePermission('quality.key'), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    // As sent: a field repeated is refused on it ("one value only"), not taken as empty.
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body))
      if (key.startsWith('values.')) values[key.slice(7)] = value;
    await handleForm(
      req,
      res,
      'tickets/keying',
      () => keyingPage(req),
      async () => {
        try {
          const input = parseInput(keyRecordSchema, { values, ...(body.seq ? { seq: body.seq } : {}) });
          const saved = await keyRecord(req.ctx, String(req.params.ref), input);
          req.session.flash = { kind: 'ok', key: 'keying.saved', params: { seq: String(saved.seq) } };
        } catch (err) {
          if (err instanceof AppError && err.code === 'conflict')
            return backWithConflict(req, res, `${base(req)}/keying`, err);
          throw err;
        }
        res.redirect(`${base(req)}/keying`);
      },
    );
  });

  router.post('/tickets/:ref/keying/import', routePermission('quality.key'), async (req, res) => {
    // CSV or XLSX (told by its bytes). No file: the domain still finds the ticket and batch
    // first (404), then refuses the empty file.
    const [file] = uploadedFiles(req, 'file');
    try {
      const report = await importRecordFile(
        req.ctx,
        String(req.params.ref),
        recordFileOf(file ? file.buffer : Buffer.alloc(0)),
      );
      if (report.errors.length > 0) {
        const importErrors = report.errors.map((e) => ({
          row: e.row,
          field: e.field,
          message: t(req.locale, e.key, e.params),
        }));
        return res.status(422).render('tickets/keying', { ...(await keyingPage(req)), importErrors });
      }
      req.session.flash = { kind: 'ok', key: 'keying.imported', params: { count: report.imported } };
    } catch (err) {
      if (conflictFlash(err)) return backWithConflict(req, res, `${base(req)}/keying`, err);
      if (err instanceof AppError && err.code === 'validation') {
        const [first] = err.fields;
        req.session.flash = {
          kind: 'error',
          key: first?.key ?? 'errors.validation',
          params: first?.params,
        };
        return res.redirect(`${base(req)}/keying`);
      }
      throw err;
    }
    res.redirect(`${base(req)}/keying`);
  });

  // A refused export (records awaiting their second keying) goes back to the keying page with why.
  for (const format of ['csv', 'xlsx'] as const)
    router.get(`/tickets/:ref/keying/export.${format}`, routePermission('quality.key'), async (req, res) => {
      try {
        await sendRecordsExport(req, res, format);
      } catch (err) {
        if (!res.headersSent && conflictFlash(err))
          return backWithConflict(req, res, `${base(req)}/keying`, err);
        throw err;
      }
    });

  router.get('/tickets/:ref/keying/source', routePermission('quality.key'), async (req, res) => {
    const source = await sourceDocument(req.ctx, String(req.params.ref));
    if (!source || !inlineTypes.has(source.contentType))
      throw new AppError('not_found', 'no source document');
    const { attachment, stream } = await openAttachment(req.ctx, String(source._id));
    res.set({
      'Content-Type': attachment.contentType,
      'Content-Length': String(attachment.size),
      'Content-Disposition': 'inline',
      'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
    });
    stream.on('error', (err) => res.destroy(err));
    stream.pipe(res);
  });

  router.post('/tickets/:ref/keying/finish', routePermission('quality.key'), async (req, res) => {
    try {
      await finishBatch(req.ctx, String(req.params.ref));
    } catch (err) {
      if (conflictFlash(err)) return backWithConflict(req, res, `${base(req)}/keying`, err);
      throw err;
    }
    req.session.flash = { kind: 'ok', key: 'keying.finished' };
    res.redirect(`${base(req)}/inspection`);
  });

  router.get('/tickets/:ref/inspection', routePermission('quality.inspect'), async (req, res) => {
    res.render('tickets/inspection', await inspectionLocals(req));
  });

  router.post('/tickets/:ref/inspection/records', routePermission('quality.inspect'), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    try {
      const input = parseInput(recordInspectionSchema, { seq: body.seq, wrongFields: listOf(body.wrong) });
      await recordInspection(req.ctx, String(req.params.ref), input);
    } catch (err) {
      if (
        err instanceof AppError &&
        (err.code === 'forbidden' || err.code === 'validation') &&
        err.messageKey.startsWith('keying.')
      ) {
        req.session.flash = { kind: 'error', key: err.messageKey };
        return res.redirect(`${base(req)}/inspection`);
      }
      if (conflictFlash(err)) return backWithConflict(req, res, `${base(req)}/inspection`, err);
      throw err;
    }
    req.session.flash = { kind: 'ok', key: 'keying.checked' };
    res.redirect(`${base(req)}/inspection`);
  });

  router.post('/tickets/:ref/inspection/close', routePermission('quality.inspect'), async (req, res) => {
    try {
      const closed = await closeLot(req.ctx, String(req.params.ref));
      req.session.flash = { kind: 'ok', key: `keying.lot_${closed.verdict}` };
    } catch (err) {
      if (conflictFlash(err)) return backWithConflict(req, res, `${base(req)}/inspection`, err);
      throw err;
    }
    res.redirect(`${base(req)}/inspection`);
  });

  return router;
}
