import { Router, type Request, type Response } from 'express';
import {
  commitImportBatch,
  createImportPreview,
  csvColumnAliases,
  csvColumns,
  csvImportLimits,
  csvTemplate,
  fileError,
  getImportBatch,
  requiredCsvColumns,
  type CsvColumn,
  type Delimiter,
} from '../../domain/tickets/csv-import.js';
import { AppError } from '../../errors/app-error.js';
import { toAppError } from '../../errors/normalize.js';
import { presentError } from '../../errors/present.js';
import { t, type Locale } from '../../i18n/i18n.js';
import { routePermission } from '../middleware/guards.js';
import { uploadedFiles } from '../uploads.js';
import { sendDownload } from '../downloads.js';

const IMPORT_PATH = '/tickets/import';
const delimiterNames: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };
const excerpt = (value: unknown): string => {
  const s = typeof value === 'string' ? value.trim() : '';
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
};

function formLocals(req: Request) {
  return {
    title: t(req.locale, 'import.title'),
    maxMb: csvImportLimits.maxBytes / 1024 / 1024,
    maxRows: csvImportLimits.maxRows,
    columns: csvColumns.map((name) => ({
      name,
      required: requiredCsvColumns.includes(name),
      aliases: csvColumnAliases[name].join(', '),
    })),
  };
}

/** Re-render the upload form with the reason the file was refused (status from the error table). */
function refuse(req: Request, res: Response, err: AppError): void {
  const shown = presentError(err, req.locale, 'page');
  res
    .status(shown.status)
    .render('tickets/import', { ...formLocals(req), formError: shown.message, fileError: true });
}

type Batch = Awaited<ReturnType<typeof getImportBatch>>;

function previewLocals(locale: Locale, batch: Batch) {
  const columns = (batch.columns.length ? batch.columns : csvColumns) as CsvColumn[];
  const problemsByRow = new Map<number, Array<{ column: string; message: string }>>();
  const errorColumnsByRow = new Map<number, Set<string>>();
  // Errors name a column by its label in the reader's language, never by its code.
  const labelOf = (column: string): string =>
    column ? t(locale, `ticket_fields.${column}`) : t(locale, 'import.whole_row');
  for (const e of batch.rowErrors) {
    const message = t(locale, e.key, (e.params ?? {}) as Record<string, unknown>);
    const column = labelOf(e.column ?? '');
    problemsByRow.set(e.row, [...(problemsByRow.get(e.row) ?? []), { column, message }]);
    errorColumnsByRow.set(e.row, (errorColumnsByRow.get(e.row) ?? new Set()).add(e.column ?? ''));
  }
  const rows = batch.rows.map((r) => {
    const values = (r.values ?? {}) as Record<string, string>;
    const bad = errorColumnsByRow.get(r.row) ?? new Set<string>();
    return {
      row: r.row,
      valid: r.valid,
      cells: columns.map((c) => ({ value: excerpt(values[c]), error: bad.has(c) })),
      problems: problemsByRow.get(r.row) ?? [],
    };
  });
  const summary = batch.rowErrors.map((e) =>
    t(locale, 'import.error_at', {
      row: e.row,
      column: labelOf(e.column ?? ''),
      message: t(locale, e.key, (e.params ?? {}) as Record<string, unknown>),
    }),
  );
  return {
    title: t(locale, 'import.preview_title', { filename: batch.filename }),
    batch: {
      id: String(batch._id),
      filename: batch.filename,
      expiresAt: batch.expiresAt,
      validCount: batch.validCount,
      invalidCount: batch.invalidCount,
      rowCount: batch.rows.length,
      separator: t(locale, `import.separators.${delimiterNames[batch.delimiter] ?? 'comma'}`),
      ignoredColumns: batch.ignoredColumns.join(', '),
    },
    columns: columns.map((c) => ({ name: c, label: labelOf(c) })),
    rows,
    summary,
  };
}

function resultLocals(locale: Locale, batch: Batch) {
  const created = batch.rows
    .filter((r) => r.ticketNumber)
    .map((r) => ({
      row: r.row,
      number: r.ticketNumber,
      subject: excerpt((r.values as Record<string, string> | undefined)?.subject),
    }));
  return {
    title: t(locale, 'import.result_title', { filename: batch.filename }),
    batch: {
      id: String(batch._id),
      filename: batch.filename,
      status: batch.status,
      invalidCount: batch.invalidCount,
    },
    created,
    createdCount: created.length,
  };
}

/** Bulk import of data-entry tickets from a CSV file: upload, preview, confirm, result. */
export function ticketImportRoutes(): Router {
  const router = Router();
  router.use(IMPORT_PATH, routePermission('tickets.open'));

  router.get(`${IMPORT_PATH}/template.csv`, (req, res) => {
    // Italian and Danish Excel expect `;`; English `,`.
    const delimiter: Delimiter = req.locale === 'en' ? ',' : ';';
    const example = Object.fromEntries(
      csvColumns.map((c) => [
        c,
        ({ priority: 'normal', expectedRecordCount: '1200' } as Record<string, string>)[c] ??
          t(req.locale, `import.example.${c}`),
      ]),
    ) as Record<CsvColumn, string>;
    sendDownload(res, {
      name: 'ticket-import-template.csv',
      type: 'csv',
      body: csvTemplate(delimiter, example),
    });
  });

  router.get(IMPORT_PATH, (req, res) => {
    res.render('tickets/import', formLocals(req));
  });

  router.post(IMPORT_PATH, async (req, res) => {
    // The multipart body was parsed before the CSRF check (http/uploads.ts, shared by all pages).
    const files = uploadedFiles(req, 'file');
    if (files.length > 1)
      return refuse(
        req,
        res,
        new AppError('bad_request', 'more than one file', { messageKey: 'import.errors.one_file' }),
      );
    const file = files[0];
    if (!file) {
      const emptyPart = ((req.files ?? []) as Express.Multer.File[]).some(
        (f) => f.fieldname === 'file' && f.originalname,
      );
      return refuse(req, res, fileError(emptyPart ? 'import.errors.empty' : 'import.errors.choose_file'));
    }
    try {
      const batch = await createImportPreview(req.ctx, file);
      res.redirect(303, `${IMPORT_PATH}/${String(batch._id)}`);
    } catch (err) {
      const appError = toAppError(err);
      // A refusal of the file (csv-import.ts fileError) is shown at the upload field.
      if (appError.code !== 'validation' && appError.code !== 'payload_too_large') throw appError;
      refuse(req, res, appError);
    }
  });
  router.get(`${IMPORT_PATH}/:id`, async (req, res) => {
    const batch = await getImportBatch(req.ctx, req.params.id);
    if (batch.status === 'draft') res.render('tickets/import-preview', previewLocals(req.locale, batch));
    else res.render('tickets/import-result', resultLocals(req.locale, batch));
  });

  router.post(`${IMPORT_PATH}/:id/commit`, async (req, res) => {
    const batch = await commitImportBatch(req.ctx, req.params.id);
    res.redirect(303, `${IMPORT_PATH}/${String(batch._id)}`);
  });
  return router;
}
