import { expect } from 'chai';
import supertest from 'supertest';
import { jsonLimits } from '../../../server/http/middleware/bodies.js';
import { exeBytes, pdfBytes, pngBytes, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';
import { invalid, valid, type GenOptions, type Schema } from '../../support/json-schema-gen.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * `/api/v1` driven by its own OpenAPI document: for every operation, requests generated from the
 * document's schemas, valid ones and ones that break one rule each, sent with a real token. It
 * fails on any 5xx, any status the document does not list for that operation, and any
 * schema-valid request refused (other than 404 for made-up ids and 409/429 where documented).
 */

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}
interface Operation {
  operationId: string;
  parameters: Param[];
  security: unknown[];
  requestBody?: {
    content: Record<string, { schema: Schema; encoding?: Record<string, { contentType: string }> }>;
  };
  responses: Record<string, unknown>;
}
type Doc = Schema & { paths: Record<string, Record<string, Operation>> };

/** Valid values for what the schema cannot say alone: VAT numbers with their check digits, ISO 4217 codes. */
const known: Record<string, unknown[]> = {
  supplierVat: ['IT01114601006', 'DK13585628'],
  currency: ['EUR', 'DKK'],
  // A webhook receiver's address: https, a name that never resolves (RFC 2606), so nothing is sent.
  url: ['https://hooks.invalid/desk-events'],
  // A webhook replay's range: its start before its end (a range the wrong way round is refused).
  from: ['2026-03-01T00:00:00.000Z'],
  to: ['2026-03-02T00:00:00.000Z'],
};

/** A real file of each accepted type (the API checks content, not names). */
const samples: Record<string, { name: string; bytes: () => Buffer }> = {
  'application/pdf': { name: 'invoice.pdf', bytes: pdfBytes },
  'image/png': { name: 'photo.png', bytes: pngBytes },
  'text/csv': { name: 'rows.csv', bytes: () => Buffer.from('sku,qty\nA-1,4\n') },
  'text/plain': { name: 'note.txt', bytes: () => Buffer.from('Delivery note, see attached.\n') },
};

interface Sent {
  label: string;
  valid: boolean;
  /** Path ids made up by the generator (404 is then a right answer). */
  madeUp: boolean;
  status: number;
}

describe('REST API driven by its OpenAPI document', function () {
  this.timeout(300_000);
  let tp: TestPortal;
  let world: World;
  let token: string;
  let doc: Doc;
  let gen: GenOptions;
  const sent: Sent[] = [];
  let keySeq = 0;

  before(async () => {
    tp = await startTestPortal('api-openapi-driven', { API_RATE_LIMIT: '1000000' });
    world = await makeWorld();
    token = (await tokenOf(world.users.acmeAdmin, 'fuzz')).token;
    doc = (await supertest(tp.url).get('/api/v1/openapi.json').expect(200)).body as Doc;
    gen = { root: doc, known };
  });
  after(() => tp?.stop());

  const operations = (): Array<{ path: string; method: string; op: Operation }> =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );

  /** Path ids that exist: a ticket of the token's client, and one of its attachments. */
  async function realIds(): Promise<Record<string, string>> {
    const agent = supertest(tp.url);
    const created = await agent
      .post('/api/v1/tickets')
      .set('Authorization', `Bearer ${token}`)
      .send(
        valid(
          doc.components ? (((doc.components as Schema).schemas as Schema).TicketInput as Schema) : {},
          gen,
        )[0] as object,
      )
      .expect(201);
    const upload = await agent
      .post(`/api/v1/tickets/${created.body.number}/attachments`)
      .set('Authorization', `Bearer ${token}`)
      .attach('file', pdfBytes(), 'seed.pdf')
      .expect(201);
    const endpoint = await agent
      .post('/api/v1/webhook-endpoints')
      .set('Authorization', `Bearer ${token}`)
      .send({ url: 'https://hooks.invalid/seed', events: ['ticket.created'] })
      .expect(201);
    // An event of that endpoint, for the replay of one event (its body names it).
    const test = await agent
      .post(`/api/v1/webhook-endpoints/${endpoint.body.id}/test`)
      .set('Authorization', `Bearer ${token}`)
      .expect(202);
    known.eventId = [test.body.eventId as string];
    // The ticket's records (issue #18): a batch on a layout the CSV sample fits.
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), String(world.acme.id), {
      name: 'Fuzz rows',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      fields: [
        { key: 'sku', label: 'SKU', type: 'text' },
        { key: 'qty', label: 'Quantity', type: 'number' },
      ],
    });
    await startBatch(
      ctxOf(world.users.operatorAcme, null),
      created.body.number as string,
      String(layout._id),
    );
    return {
      ref: created.body.number as string,
      id: upload.body.data[0].id as string,
      endpointId: endpoint.body.id as string,
    };
  }

  function record(
    op: Operation,
    label: string,
    res: supertest.Response,
    opts: { valid: boolean; madeUp?: boolean },
  ): void {
    sent.push({
      label: `${op.operationId} ${label}`,
      valid: opts.valid,
      madeUp: opts.madeUp ?? false,
      status: res.status,
    });
  }

  async function send(
    method: string,
    url: string,
    op: Operation,
    spec: {
      query?: Record<string, unknown>;
      headers?: Record<string, string>;
      json?: unknown;
      raw?: string;
      /** A raw file body (an e-invoice), sent as application/xml. */
      xml?: Buffer;
      /** A raw file body (records), sent as text/csv. */
      csv?: Buffer;
      files?: Array<{ bytes: Buffer; name: string }>;
      auth?: boolean;
    },
  ): Promise<supertest.Response> {
    let req = (supertest(tp.url) as unknown as Record<string, (u: string) => supertest.Test>)[method]!(url);
    if (spec.auth !== false && op.security.length) req = req.set('Authorization', `Bearer ${token}`);
    for (const [k, v] of Object.entries(spec.headers ?? {})) req = req.set(k, v);
    if (spec.query)
      req = req.query(
        Object.fromEntries(
          Object.entries(spec.query).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        ),
      );
    if (spec.files) for (const f of spec.files) req = req.attach('file', f.bytes, f.name);
    else if (spec.xml) req = req.set('Content-Type', 'application/xml').send(spec.xml);
    else if (spec.csv) req = req.set('Content-Type', 'text/csv').send(spec.csv);
    else if (spec.raw !== undefined) req = req.set('Content-Type', 'application/json').send(spec.raw);
    else if (spec.json !== undefined)
      req = req.set('Content-Type', 'application/json').send(JSON.stringify(spec.json));
    return req;
  }

  it('answers every generated request with a documented status, never 5xx, and accepts every valid one', async () => {
    const ids = await realIds();
    const madeUpIds: Record<string, string> = {
      ref: 'ACME-999999',
      id: 'ffffffffffffffffffffffff',
      endpointId: 'ffffffffffffffffffffffff',
    };

    for (const { path, method, op } of operations()) {
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      const url = (which: Record<string, string>) =>
        `/api/v1${path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(which[n] ?? 'x'))}`;
      const realUrl = url(ids);
      const headerParams = op.parameters.filter((p) => p.in === 'header');
      const queryParams = op.parameters.filter((p) => p.in === 'query');
      const headersFor = () =>
        Object.fromEntries(
          headerParams.map((p) => [p.name, `${String(valid(p.schema, gen, p.name)[0])}${++keySeq}`]),
        );
      const json = op.requestBody?.content['application/json'];
      const multipart = op.requestBody?.content['multipart/form-data'];
      const xml = op.requestBody?.content['application/xml'];
      const csv = op.requestBody?.content['text/csv'];

      // Valid: each body variant (or none), each query value, with the real ids.
      const bodies: Array<{
        json?: unknown;
        xml?: Buffer;
        csv?: Buffer;
        files?: Array<{ bytes: Buffer; name: string }>;
      }> = [];
      if (json) for (const body of valid(json.schema, gen)) bodies.push({ json: body });
      else if (xml)
        bodies.push({ xml: Buffer.from(fatturaPA({ bodies: [{ number: `FUZZ-${++keySeq}` }] })) });
      else if (csv) bodies.push({ csv: samples['text/csv']!.bytes() });
      else if (multipart) {
        const types = (multipart.encoding?.file?.contentType ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((t) => samples[t]);
        expect(types.length, 'the upload documents its accepted types').to.be.greaterThan(1);
        const fileSchema = ((multipart.schema.properties as Record<string, Schema>).file ?? {}) as Schema;
        for (const count of [1, Number(fileSchema.maxItems ?? 1)]) {
          bodies.push({
            files: Array.from({ length: count }, (_, i) => {
              const s = samples[types[i % types.length] as string]!;
              return { bytes: s.bytes(), name: s.name };
            }),
          });
        }
      } else bodies.push({});
      for (const [i, body] of bodies.entries()) {
        const res = await send(method, realUrl, op, { ...body, headers: headersFor() });
        record(op, `valid body #${i}`, res, { valid: true });
      }
      for (const p of queryParams) {
        for (const v of valid(p.schema, gen, p.name))
          record(
            op,
            `valid ${p.name}=${String(v)}`,
            await send(method, realUrl, op, { ...(bodies[0] ?? {}), query: { [p.name]: v } }),
            { valid: true },
          );
      }
      if (pathParams.length) {
        const res = await send(method, url(madeUpIds), op, { ...(bodies[0] ?? {}), headers: headersFor() });
        record(op, 'made-up id', res, { valid: true, madeUp: true });
      }

      // Invalid: no token, each broken body, each broken query value and header, raw JSON abuse.
      if (pathParams.length) {
        const undecodable = `/api/v1${path.replace(/\{(\w+)\}/g, '%E0%A4%A')}`;
        record(
          op,
          'undecodable id',
          await send(method, undecodable, op, { ...(bodies[0] ?? {}), headers: headersFor() }),
          { valid: false },
        );
      }
      if (op.security.length)
        record(op, 'no token', await send(method, realUrl, op, { auth: false }), { valid: false });
      if (json) {
        for (const [i, body] of invalid(json.schema, gen).entries())
          record(
            op,
            `invalid body #${i} ${JSON.stringify(body).slice(0, Number(process.env.FUZZ_LABEL ?? 80))}`,
            await send(method, realUrl, op, { json: body, headers: headersFor() }),
            { valid: false },
          );
        const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
        record(
          op,
          'nested 5 000 deep',
          await send(method, realUrl, op, { raw: deep, headers: headersFor() }),
          { valid: false },
        );
        record(
          op,
          `nested ${jsonLimits.depth + 1} deep`,
          await send(method, realUrl, op, {
            raw: `${'{"a":'.repeat(jsonLimits.depth + 1)}1${'}'.repeat(jsonLimits.depth + 1)}`,
            headers: headersFor(),
          }),
          { valid: false },
        );
        record(
          op,
          'malformed',
          await send(method, realUrl, op, { raw: '{"subject": ', headers: headersFor() }),
          { valid: false },
        );
        record(
          op,
          'over 1 MB',
          await send(method, realUrl, op, {
            json: { body: 'x'.repeat(jsonLimits.bytes), subject: 'x' },
            headers: headersFor(),
          }),
          { valid: false },
        );
      }
      if (multipart) {
        const cases: Record<string, Array<{ bytes: Buffer; name: string }>> = {
          'no file': [],
          'empty file': [{ bytes: Buffer.alloc(0), name: 'empty.pdf' }],
          'a program': [{ bytes: exeBytes(), name: 'setup.exe' }],
          'too many': Array.from({ length: 11 }, () => ({ bytes: pngBytes(), name: 'p.png' })),
          'too large': [
            { bytes: Buffer.concat([pdfBytes(), Buffer.alloc(10 * 1024 * 1024)]), name: 'big.pdf' },
          ],
        };
        for (const [label, files] of Object.entries(cases)) {
          const res = files.length
            ? await send(method, realUrl, op, { files })
            : await send(method, realUrl, op, { raw: '' });
          record(op, label, res, { valid: false });
        }
      }
      for (const p of queryParams)
        for (const v of invalid(p.schema, gen, p.name))
          record(
            op,
            `invalid ${p.name}=${JSON.stringify(v)}`,
            await send(method, realUrl, op, { query: { [p.name]: v } }),
            { valid: false },
          );
      for (const p of headerParams)
        record(
          op,
          `invalid ${p.name}`,
          await send(method, realUrl, op, {
            json: bodies[0]?.json,
            headers: { [p.name]: 'k'.repeat(Number(p.schema.maxLength ?? 255) + 1) },
          }),
          { valid: false },
        );
    }

    if (process.env.FUZZ_SUMMARY)
      process.stdout.write(
        JSON.stringify(
          sent.map((s) => `${s.valid ? 'V' : 'I'} ${s.status} ${s.label.slice(0, 110)}`),
          null,
          1,
        ),
      );
    const byId = new Map(operations().map(({ op }) => [op.operationId, op]));
    const problems = sent.flatMap((s) => {
      const op = byId.get(s.label.split(' ')[0] as string) as Operation;
      const out: string[] = [];
      if (s.status >= 500) out.push(`${s.label}: ${s.status}`);
      else if (!(String(s.status) in op.responses))
        out.push(`${s.label}: ${s.status} not documented (${Object.keys(op.responses).join(', ')})`);
      else if (
        s.valid &&
        s.status >= 400 &&
        !(s.status === 404 && s.madeUp) &&
        s.status !== 409 &&
        s.status !== 429
      )
        out.push(`${s.label}: valid request refused with ${s.status}`);
      return out;
    });
    expect(problems, `${problems.length} of ${sent.length} requests`).to.deep.equal([]);
    // Every operation was driven, with valid and invalid requests.
    expect(new Set(sent.map((s) => s.label.split(' ')[0]))).to.have.property('size', operations().length);
    expect(sent.filter((s) => s.valid).length).to.be.greaterThan(50);
    expect(sent.filter((s) => !s.valid).length).to.be.greaterThan(200);
  });
});
