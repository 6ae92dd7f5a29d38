import { deflateSync } from 'node:zlib';
import { pino } from 'pino';
import supertest, { type Response } from 'supertest';
import type { UserDoc } from '../../models/user.js';
import { makeCtx, type Ctx } from '../../server/domain/context.js';
import { createApiToken } from '../../server/domain/tenants/api-tokens.js';
import { isLocale } from '../../server/i18n/i18n.js';

/** Helpers for the REST API tests: tokens, request bodies, files with real magic bytes. */

const silent = pino({ level: 'silent' });

/** The domain context of a signed-in client user (what the pages would build for them). */
export function userCtx(user: UserDoc): Ctx {
  const tenantId = user.tenantId ? String(user.tenantId) : null;
  return makeCtx({
    tenantId,
    actor: {
      kind: 'user',
      userId: String(user._id),
      email: user.email,
      name: user.name,
      role: user.role,
      tenantId,
      tenantIds: tenantId ? [tenantId] : user.tenantIds.map(String),
      locale: isLocale(user.locale) ? user.locale : 'en',
    },
    requestId: 'test',
    log: silent,
    ip: '127.0.0.1',
  });
}

/** A fresh API token created by a client admin, as the token page would. */
export async function tokenOf(
  admin: UserDoc,
  name = 'Test integration',
): Promise<{ token: string; id: string }> {
  const { token, apiToken } = await createApiToken(userCtx(admin), { name });
  return { token, id: String(apiToken._id) };
}

/** A supertest client that sends the token on every request. */
export function apiClient(url: string, token: string) {
  const auth = (r: supertest.Test) => r.set('Authorization', `Bearer ${token}`);
  const agent = supertest(url);
  return {
    get: (path: string) => auth(agent.get(`/api/v1${path}`)),
    post: (path: string) => auth(agent.post(`/api/v1${path}`)),
  };
}

/** Read a response body as raw bytes. */
export function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (err: Error) => done(err, Buffer.alloc(0)));
}

export const bodies = {
  dataEntry: (over: Record<string, unknown> = {}) => ({
    type: 'data_entry',
    subject: 'Enter the March delivery notes',
    description: 'Scans are in the shared folder.',
    priority: 'normal',
    tags: ['march'],
    fields: { batchDescription: '412 delivery notes', targetSystem: 'SAP', expectedRecordCount: 412 },
    ...over,
  }),
  complaint: (over: Record<string, unknown> = {}) => ({
    type: 'complaint',
    subject: 'Parcel arrived damaged',
    priority: 'high',
    fields: {
      customerName: 'Mario Rossi',
      customerReference: 'ORD-42',
      channel: 'phone',
      category: 'Delivery',
      severity: 'medium',
    },
    ...over,
  }),
  invoice: (fields: Record<string, unknown> = {}) => ({
    type: 'invoice',
    subject: 'Invoice from Nordic Paper',
    fields: {
      supplierName: 'Nordic Paper A/S',
      supplierVat: 'DK 1234 5674',
      invoiceNumber: '2026/118',
      issueDate: '2026-03-02',
      dueDate: '2026-04-01',
      amount: 1250.5,
      currency: 'eur',
      ...fields,
    },
  }),
};

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A real 2x2 RGB PNG. */
export function pngBytes(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small PDF (with some binary bytes after the header, as real PDFs have). */
export function pdfBytes(): Buffer {
  return Buffer.concat([
    Buffer.from('%PDF-1.4\n%'),
    Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]),
    Buffer.from(
      '\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
    ),
  ]);
}

/** The start of a Windows executable. */
export function exeBytes(): Buffer {
  const buf = Buffer.alloc(256);
  buf.write('MZ', 0, 'ascii');
  buf.writeUInt32LE(0x80, 0x3c);
  buf.write('PE\0\0', 0x80, 'binary');
  return buf;
}

export const htmlBytes = (): Buffer =>
  Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
