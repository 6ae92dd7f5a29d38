import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.js';
import { parseInput } from '../forms.js';
import { importRequestBody, sendRecordsExport } from '../record-files.js';

/** What an import answers when every row was right. */
export const recordImportJson = z.object({ imported: z.number().int().min(1) });

export const recordExportQuery = z.object({ format: z.enum(['csv', 'xlsx']).default('csv') });

/**
 * The records of a data-entry ticket as files, for the client's systems (issue #18): send a CSV
 * or XLSX file of records in (the body is the file), fetch the accepted batch back as CSV or
 * XLSX. A refused row is a 422 whose fields name it (`rows.<row>.<field>`). Thin: the rules are
 * the domain's (quality/import-records.ts, export-records.ts).
 */
export function recordFileApiRoutes(secured: RequestHandler[]): Router {
  const router = Router();

  router.post('/tickets/:ref/records', ...secured, async (req, res) => {
    const report = await importRequestBody(req);
    if (report.errors.length > 0) {
      throw new AppError('validation', 'record rows refused', {
        fields: report.errors.map((e) => ({
          path: `rows.${e.row}.${e.field}`,
          key: e.key,
          params: e.params,
        })),
      });
    }
    res.json(recordImportJson.parse({ imported: report.imported }));
  });

  router.get('/tickets/:ref/records', ...secured, async (req, res) => {
    const { format } = parseInput(recordExportQuery, req.query);
    await sendRecordsExport(req, res, format);
  });

  return router;
}
