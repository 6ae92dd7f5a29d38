/**
 * Keyed-records benchmark (issue #18): a batch of BENCH_RECORDS records (default 100 000) of a
 * 30-field layout (text, number, date, code, VAT, IBAN) through the portal's own operations,
 * from CSV and from XLSX (files generated here, on disk): `importRecordFile` (read twice,
 * every field validated, inserted in chunks), `finishBatch` (the lot: ISO 2859-1 plan, seeded
 * draw, recorded), then the export (`exportRecords` / `writeRecordsXlsx`) read back whole; against
 * a bare `insertMany` (chunks of 1000, unordered) and cursor read of the same documents on the
 * driver, in the same run, on the same database.
 *
 *   npm run bench:keying                         # 100 000 records, memory then H2
 *   BENCH_RECORDS=20000 BENCH_BACKEND=h2 npm run bench:keying
 *
 * Prints each phase's time, the ratio of the whole (import + finish + export) to the bare
 * baseline (target: within 3x), and RSS / heap sampled every 250 ms by tenths of each phase's
 * progress (bytes of the file read, rows written), to show whether memory is flat. Run with
 * NODE_OPTIONS=--expose-gc, each phase also prints the heap still live after it (a full GC once
 * the phase is timed).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import mongoose, { Types } from 'mongoose';
import { pino } from 'pino';
import { Tenant } from '../../models/tenant.js';
import { User } from '../../models/user.js';
import { toProfile } from '../../server/domain/auth/profile.js';
import { makeCtx, type Ctx } from '../../server/domain/context.js';
import { startBatch } from '../../server/domain/quality/batch.js';
import { exportRecords, writeRecordsXlsx } from '../../server/domain/quality/export-records.js';
import { finishBatch } from '../../server/domain/quality/finish-batch.js';
import { importRecordFile } from '../../server/domain/quality/import-records.js';
import type { RecordFileFormat } from '../../server/domain/quality/record-files.js';
import { saveLayout } from '../../server/domain/quality/save-layout.js';
import { createTicket } from '../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../server/domain/tickets/schemas.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { mb, out, startWatchdog } from '../support/harness.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 60 * 60_000);
startWatchdog(TIMEOUT_MS);

const VATS = ['IT01234567897', 'DK12345674', 'IT00743110157', 'DK13585628'];
const IBANS = ['IT60X0542811101000000123456', 'DK5000400440116243', 'GB82WEST12345698765432'];
const CODES = ['INV', 'CN', 'DN', 'PRO'];

/** The 30 fields: 10 text, 8 number, 5 date, 3 code, 2 VAT, 2 IBAN. */
const kinds = [
  ...Array<string>(10).fill('text'),
  ...Array<string>(8).fill('number'),
  ...Array<string>(5).fill('date'),
  ...Array<string>(3).fill('code'),
  ...Array<string>(2).fill('vat'),
  ...Array<string>(2).fill('iban'),
];
const layoutInput = {
  name: 'Bench 30 fields',
  aql: { critical: 0.65, major: 1.0, minor: 2.5 },
  fields: kinds.map((type, i) => {
    const common = { key: `f${i + 1}_${type}`, label: `Field ${i + 1}`, required: i % 3 === 0 };
    if (type === 'text') return { ...common, type, maxLength: 60, class: 'minor' };
    if (type === 'number') return { ...common, type, decimals: 2, min: 0, class: 'major' };
    if (type === 'code') return { ...common, type, codes: CODES, class: 'major' };
    return { ...common, type, class: type === 'date' ? 'major' : 'critical' };
  }),
};
const fieldKeys = layoutInput.fields.map((f) => f.key);

/** Row i's values, as stored after validation (dates YYYY-MM-DD, numbers with two decimals). */
function rowValues(i: number): Array<string | number> {
  return kinds.map((type, c) => {
    switch (type) {
      case 'text':
        return `Item ${i} col ${c} ${'x'.repeat((i + c) % 20)}`;
      case 'number':
        return Math.round(((i * 37 + c * 101) % 1_000_000) + ((i + c) % 100)) / 100;
      case 'date':
        return `20${10 + ((i + c) % 16)}-${String(1 + ((i + c) % 12)).padStart(2, '0')}-${String(1 + ((i * 7 + c) % 28)).padStart(2, '0')}`;
      case 'code':
        return CODES[(i + c) % CODES.length]!;
      case 'vat':
        return VATS[(i + c) % VATS.length]!;
      default:
        return IBANS[(i + c) % IBANS.length]!;
    }
  });
}

async function writeCsv(path: string): Promise<void> {
  const file = createWriteStream(path);
  const write = async (line: string) => {
    if (!file.write(line)) await new Promise<void>((r) => file.once('drain', () => r()));
  };
  await write(`${fieldKeys.join(',')}\r\n`);
  for (let i = 0; i < RECORDS; i++) await write(`${rowValues(i).join(',')}\r\n`);
  await new Promise<void>((r) => file.end(() => r()));
}

async function writeXlsx(path: string): Promise<void> {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: createWriteStream(path),
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = book.addWorksheet('Records');
  sheet.columns = kinds.map((type, c) => ({
    key: fieldKeys[c]!,
    style: type === 'date' ? { numFmt: 'yyyy-mm-dd' } : {},
  }));
  sheet.addRow(fieldKeys).commit();
  for (let i = 0; i < RECORDS; i++) {
    const row = rowValues(i).map((v, c) => (kinds[c] === 'date' ? new Date(`${v as string}T00:00:00Z`) : v));
    sheet.addRow(row).commit();
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  sheet.commit();
  await book.commit();
}

interface Sample {
  rss: number;
  heap: number;
  progress: number;
}

/** A phase timed, with memory sampled every 250 ms against its progress (0..1). */
async function phase<T>(
  label: string,
  progress: () => number,
  run: () => Promise<T>,
  report: string[],
): Promise<{ ms: number; value: T }> {
  const samples: Sample[] = [];
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ rss: m.rss, heap: m.heapUsed, progress: progress() });
  };
  const sampler = setInterval(sample, 250);
  const start = performance.now();
  const value = await run();
  const ms = performance.now() - start;
  clearInterval(sampler);
  sample();
  const tenths: string[] = [];
  const peaks: number[] = [];
  for (let t = 0; t < 10; t++) {
    const inTenth = samples.filter((s) => s.progress >= t / 10 && s.progress < (t + 1) / 10);
    if (inTenth.length === 0) continue;
    const rss = Math.max(...inTenth.map((s) => s.rss));
    peaks.push(rss);
    tenths.push(`${t + 1}: ${mb(rss)}/${mb(Math.max(...inTenth.map((s) => s.heap)))}`);
  }
  const growth = peaks.length >= 3 ? (peaks[peaks.length - 1]! - peaks[1]!) / peaks[1]! : 0;
  // With node --expose-gc: the heap still live once the phase is over (a full GC, after the timing),
  // to tell what the phase kept from what the collector had not yet reclaimed.
  const gc = (globalThis as { gc?: () => void }).gc;
  let live = '';
  if (gc) {
    gc();
    live = `   live heap after: ${mb(process.memoryUsage().heapUsed)}`;
  }
  report.push(
    `  ${label.padEnd(22)} ${(ms / 1000).toFixed(1).padStart(6)} s   RSS/heap by tenth  ${tenths.join('  ')}` +
      (peaks.length >= 3
        ? `   (last tenth vs second ${(growth * 100).toFixed(0)}%: ${Math.abs(growth) < 0.15 ? 'flat' : 'NOT flat'})`
        : '') +
      live,
  );
  return { ms, value };
}

/** A sink that counts what it is given (the export read back whole, nothing kept). */
function countingSink(onChunk: (n: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      onChunk(chunk.length);
      cb();
    },
  });
}

async function bareBaseline(report: string[]): Promise<number> {
  const raw = mongoose.connection.db!.collection('bench_bare_records');
  await raw.createIndex({ tenantId: 1, ticketId: 1, seq: 1 }, { unique: true });
  const tenantId = new Types.ObjectId();
  const ticketId = new Types.ObjectId();
  const keyedBy = { id: new Types.ObjectId(), name: 'Bench' };
  let inserted = 0;
  const insert = await phase(
    'bare insertMany',
    () => inserted / RECORDS,
    async () => {
      for (let start = 0; start < RECORDS; start += 1000) {
        const docs = [];
        for (let i = start; i < Math.min(RECORDS, start + 1000); i++) {
          const row = rowValues(i);
          docs.push({
            tenantId,
            ticketId,
            seq: i + 1,
            values: Object.fromEntries(fieldKeys.map((k, c) => [k, row[c]])),
            keyedBy,
            keyedAt: new Date(),
            round: 1,
          });
        }
        await raw.insertMany(docs, { ordered: false });
        inserted += docs.length;
        if (inserted % 10_000 === 0) out(`  bare: ${inserted} inserted`);
      }
    },
    report,
  );
  let read = 0;
  const cursor = await phase(
    'bare cursor read',
    () => read / RECORDS,
    async () => {
      for await (const doc of raw.find({ tenantId, ticketId })) if (doc) read++;
    },
    report,
  );
  if (read !== RECORDS) throw new Error(`bare read ${read} of ${RECORDS}`);
  return insert.ms + cursor.ms;
}

async function portalRun(
  format: RecordFileFormat,
  path: string,
  ctxs: { client: Ctx; keyer: Ctx },
  layoutId: string,
  report: string[],
): Promise<number> {
  const input = ticketInputSchema.parse({
    type: 'data_entry',
    subject: `Bench ${format}`,
    priority: 'normal',
    fields: { batchDescription: 'Bench', targetSystem: 'Bench', expectedRecordCount: RECORDS },
  });
  const ticket = await createTicket(ctxs.client, input, 'portal');
  await startBatch(ctxs.keyer, ticket.number, layoutId);
  const size = statSync(path).size;
  let read = 0;
  const imported = await phase(
    `import ${format} (${mb(size)})`,
    () => read / (2 * size),
    () =>
      importRecordFile(ctxs.keyer, ticket.number, {
        format,
        open: () =>
          createReadStream(path).pipe(
            new Transform({
              transform(chunk: Buffer, _enc, cb) {
                read += chunk.length;
                cb(null, chunk);
              },
            }),
          ),
      }),
    report,
  );
  if (imported.value.errors.length > 0 || imported.value.imported !== RECORDS)
    throw new Error(`import ${format}: ${JSON.stringify(imported.value.errors.slice(0, 3))}`);
  const finished = await phase(
    'finish + draw sample',
    () => 0,
    () => finishBatch(ctxs.keyer, ticket.number),
    report,
  );
  report.push(
    `    lot of ${finished.value.lotSize}: sample ${finished.value.indices.length}, seed ${finished.value.seed}`,
  );
  let written = 0;
  let rows = 0;
  const exported = await phase(
    `export ${format}`,
    () => rows / RECORDS,
    async () => {
      if (format === 'csv') {
        for await (const line of exportRecords(ctxs.keyer, ticket.number)) {
          written += line.length;
          rows++;
        }
      } else {
        // Progress: bytes written against the imported workbook's size (the same cells).
        const sink = countingSink((n) => {
          written += n;
          rows = Math.min(RECORDS, Math.floor((written / size) * RECORDS));
        });
        const done = new Promise((r) => sink.on('finish', r));
        await writeRecordsXlsx(ctxs.keyer, ticket.number, sink);
        await done;
      }
    },
    report,
  );
  report.push(`    exported ${mb(written)}`);
  return imported.ms + finished.ms + exported.ms;
}

async function main(): Promise<number> {
  const log = pino({ level: 'warn' });
  // The files first, before the database: generating 100 000 rows takes a while.
  const dir = mkdtempSync(join(tmpdir(), 'bench-keying-'));
  const t0 = performance.now();
  const csvPath = join(dir, 'records.csv');
  const xlsxPath = join(dir, 'records.xlsx');
  await writeCsv(csvPath);
  await writeXlsx(xlsxPath);
  out(
    `bench/keying: ${RECORDS} records x 30 fields; CSV ${mb(statSync(csvPath).size)}, XLSX ${mb(statSync(xlsxPath).size)} (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const engine = await startBenchEngine('bench_keying', log);
  try {
    await mongoose.connect(engine.uri);
    // One after the other: the engine answers them one at a time anyway.
    for (const model of Object.values(mongoose.models)) await model.createIndexes();
    out(`  indexes ready`);
    const tenant = await Tenant.create({
      code: 'bench',
      legalName: 'Bench Client S.p.A.',
      timeZone: 'Europe/Rome',
      locale: 'it',
      status: 'active',
    });
    const clientUser = await User.create({
      email: 'user@bench.example',
      name: 'Bench User',
      role: 'client_user',
      tenantId: tenant._id,
      passwordHash: 'x',
      status: 'active',
    });
    const lead = await User.create({
      email: 'lead@bench.example',
      name: 'Bench Lead',
      role: 'team_lead',
      tenantIds: [tenant._id],
      passwordHash: 'x',
      status: 'active',
    });
    const keyer = await User.create({
      email: 'keyer@bench.example',
      name: 'Bench Keyer',
      role: 'operator',
      tenantIds: [tenant._id],
      passwordHash: 'x',
      status: 'active',
    });
    const ctxOf = (user: typeof keyer, t: typeof tenant | null) => {
      const actor = toProfile(user, t, { locale: 'en', timeZone: 'Europe/Rome' });
      return makeCtx({ tenantId: actor.tenantId, actor, requestId: 'bench', log });
    };
    out('  users ready');
    const layout = await saveLayout(ctxOf(lead, null), String(tenant._id), layoutInput);
    const ctxs = { client: ctxOf(clientUser, tenant), keyer: ctxOf(keyer, null) };

    const report: string[] = [];
    const bareMs = await bareBaseline(report);
    const csvMs = await portalRun('csv', csvPath, ctxs, String(layout._id), report);
    const xlsxMs = await portalRun('xlsx', xlsxPath, ctxs, String(layout._id), report);
    for (const line of report) out(line);
    out(`bare insertMany + cursor read   ${(bareMs / 1000).toFixed(1)} s`);
    out(
      `CSV: import + finish + export    ${(csvMs / 1000).toFixed(1)} s   ${(csvMs / bareMs).toFixed(2)}x the bare baseline (target: 3x)`,
    );
    out(
      `XLSX: import + finish + export   ${(xlsxMs / 1000).toFixed(1)} s   ${(xlsxMs / bareMs).toFixed(2)}x the bare baseline (target: 3x)`,
    );
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await mongoose.disconnect();
    await engine.stop();
  }
}

runOnBackends(main, 'bench/keying');
