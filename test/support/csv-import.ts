import { Types } from 'mongoose';
import { ImportBatch } from '../../models/import-batch.js';
import type { Response } from 'supertest';
import { csrfFrom, type Agent } from './browser-session.js';
import { textOf } from './pages.js';

/**
 * Upload a CSV through the import form, as a browser does (token first, then the file):
 * `await uploadCsv(agent, csv).expect(303)`.
 */
export function uploadCsv(agent: Agent, content: string | Buffer, filename = 'batch.csv') {
  return {
    async expect(status: number): Promise<Response> {
      const form = await agent.get('/tickets/import');
      const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      const res = await agent
        .post('/tickets/import')
        .field('_csrf', csrfFrom(form.text))
        .attach('file', buffer, { filename, contentType: 'text/csv' });
      if (res.status !== status)
        throw new Error(
          `upload of ${filename}: expected ${status}, got ${res.status}: ${textOf(res.text ?? '').slice(0, 400)}`,
        );
      return res;
    },
  };
}

/** Confirm a previewed batch with the token of its preview page. */
export async function commitBatch(agent: Agent, batchId: string) {
  const preview = await agent.get(`/tickets/import/${batchId}`);
  return agent
    .post(`/tickets/import/${batchId}/commit`)
    .type('form')
    .send({ _csrf: csrfFrom(preview.text) });
}

/** The batch id a successful upload redirected to. */
export function batchIdOf(location: string | undefined): string {
  const id = /^\/tickets\/import\/([0-9a-f]{24})$/.exec(location ?? '')?.[1];
  if (!id) throw new Error(`not a preview redirect: ${String(location)}`);
  return id;
}

/** A stored draft batch with one valid row, for access tests that need a target id. */
export async function makeDraftImportBatch(
  tenantId: Types.ObjectId | string,
  userId: Types.ObjectId | string,
): Promise<string> {
  const input = {
    type: 'data_entry',
    subject: 'Matrix import row',
    description: '',
    priority: 'normal',
    tags: [],
    fields: {
      batchDescription: 'Enter the matrix batch',
      targetSystem: 'SAP',
      expectedRecordCount: 10,
      recordsCompleted: 0,
      errorCount: 0,
    },
  };
  const batch = await ImportBatch.create({
    tenantId: new Types.ObjectId(String(tenantId)),
    createdBy: { id: new Types.ObjectId(String(userId)), name: 'Matrix' },
    filename: 'matrix.csv',
    columns: ['subject', 'batchDescription', 'targetSystem', 'expectedRecordCount'],
    rows: [{ row: 2, values: { subject: input.subject }, input, valid: true }],
    validCount: 1,
    invalidCount: 0,
    expiresAt: new Date(Date.now() + 60 * 60 * 1000),
  });
  return String(batch._id);
}
