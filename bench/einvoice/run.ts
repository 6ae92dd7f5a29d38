/**
 * E-invoice intake benchmark (issue #17): BENCH_FILES generated files (einvoice-samples.ts:
 * FatturaPA plain and signed `.p7m`, Peppol BIS 3, OIOUBL 2.1; 1 to 200 lines) through the full
 * intake (`receiveEInvoice`: unwrap, parse, read, XSD + Schematron validation, checks, ticket,
 * stored original) on the embedded engine, one file after the other, against a bare XML parse
 * (xmldom's DOMParser, the parser the intake uses) of the same XML in the same run.
 *
 *   npm run bench:einvoice                  # 1000 files
 *   BENCH_FILES=100 npm run bench:einvoice
 *   NODE_OPTIONS=--expose-gc npm run bench:einvoice   # also the live heap after each tenth
 *
 * Prints both rates, their ratio (target: intake within 10x of the bare parse), the time per
 * format, and RSS / heap sampled every 250 ms across the batch, by tenths of the batch, to show
 * whether memory is flat (the last tenth's peak against the second's). The validator is a Java
 * process of its own (validate-schematron.ts): it is started and warmed (one file of each kind,
 * which compiles its schemas and rule sets once) before the timed batch, the warm-up's time
 * printed apart, and its RSS is sampled with the portal's.
 */
import { DOMParser } from '@xmldom/xmldom';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { Tenant } from '../../models/tenant.js';
import { User } from '../../models/user.js';
import { toProfile } from '../../server/domain/auth/profile.js';
import { makeCtx } from '../../server/domain/context.js';
import { batchIntake, receiveEInvoiceBatch } from '../../server/domain/einvoices/receive-einvoice-batch.js';
import { readFileSync } from 'node:fs';
import { validateEInvoice } from '../../server/domain/einvoices/validate-einvoice.js';
import { stopSchematron, validatorPid } from '../../server/domain/einvoices/validate-schematron.js';
import { makeCmsSigner } from '../../server/seed/cms-signer.js';
import { fatturaPA, fpLines, ubl, ublLines } from '../../server/seed/einvoice-samples.js';
import { runOnBackends, startBenchEngine } from '../support/backend.js';
import { mb, out, startWatchdog } from '../support/harness.js';

const FILES = Number(process.env.BENCH_FILES ?? 1000);
/** Files per batch (a form upload, a ZIP, a mail's attachments) and files read ahead in one. */
const BATCH = Number(process.env.BENCH_BATCH ?? 50);
batchIntake.ahead = Number(process.env.BENCH_AHEAD ?? batchIntake.ahead);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 60 * 60_000);
const KINDS = ['fatturapa', 'fatturapa-p7m', 'peppol', 'oioubl'] as const;
type Kind = (typeof KINDS)[number];

startWatchdog(TIMEOUT_MS);

interface BenchFile {
  kind: Kind;
  lines: number;
  name: string;
  bytes: Buffer;
  xml: string;
}

/** Line counts spread over 1..200, small ones more often (as invoices are). */
const linesOf = (i: number) => (i % 10 === 9 ? 200 : 1 + ((i * 37) % (i % 3 === 0 ? 200 : 20)));

async function makeFiles(): Promise<BenchFile[]> {
  const signer = await makeCmsSigner('Bench Signer', 'Bench');
  const buyer = { country: 'IT', code: '12345678903', name: 'Bench Client S.p.A.' };
  const ublBuyer = { name: 'Bench Client S.p.A.', vat: 'DK87654311', country: 'DK' };
  const files: BenchFile[] = [];
  for (let i = 0; i < FILES; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const lines = linesOf(i);
    const number = `B-${i}`;
    const xml =
      kind === 'fatturapa' || kind === 'fatturapa-p7m'
        ? fatturaPA({ buyer, bodies: [{ number, ...fpLines(lines, i) }] })
        : ubl({
            buyer: ublBuyer,
            id: number,
            flavour: kind === 'oioubl' ? 'oioubl' : 'peppol',
            ...ublLines(lines, i),
          });
    const raw = Buffer.from(xml, 'utf8');
    const bytes = kind === 'fatturapa-p7m' ? await signer.sign(raw) : raw;
    files.push({ kind, lines, name: `${number}.xml${kind === 'fatturapa-p7m' ? '.p7m' : ''}`, bytes, xml });
  }
  return files;
}

interface Sample {
  at: number;
  done: number;
  rss: number;
  heap: number;
  javaRss: number;
}

/** The validator process's resident memory (Linux), 0 when it does not run. */
function javaRss(): number {
  const pid = validatorPid();
  if (!pid) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

const FORMAT: Record<Kind, 'fatturapa' | 'peppol-bis3' | 'oioubl'> = {
  fatturapa: 'fatturapa',
  'fatturapa-p7m': 'fatturapa',
  peppol: 'peppol-bis3',
  oioubl: 'oioubl',
};

async function main(): Promise<number> {
  const log = pino({ level: 'warn' });
  const engine = await startBenchEngine('bench_einvoice', log);
  try {
    await mongoose.connect(engine.uri);
    const tenant = await Tenant.create({
      code: 'bench',
      legalName: 'Bench Client S.p.A.',
      timeZone: 'Europe/Rome',
      locale: 'it',
      status: 'active',
    });
    const user = await User.create({
      email: 'admin@bench.example',
      name: 'Bench Admin',
      role: 'client_admin',
      tenantId: tenant._id,
      passwordHash: 'x',
      status: 'active',
    });
    const actor = toProfile(user, tenant, { locale: 'en', timeZone: 'Europe/Rome' });
    const ctx = makeCtx({ tenantId: actor.tenantId, actor, requestId: 'bench', log });

    const t0 = performance.now();
    const files = await makeFiles();
    const totalBytes = files.reduce((n, f) => n + f.bytes.length, 0);
    out(
      `bench/einvoice: ${files.length} files, ${mb(totalBytes)} (generated in ${Math.round(performance.now() - t0)} ms)`,
    );

    // Bare parse: the XML of every file (signed ones already unwrapped), three passes, the best.
    let bareMs = Infinity;
    for (let pass = 0; pass < 3; pass++) {
      const start = performance.now();
      for (const f of files) {
        const doc = new DOMParser().parseFromString(f.xml, 'application/xml');
        if (!doc.documentElement) throw new Error(`bare parse failed: ${f.name}`);
      }
      bareMs = Math.min(bareMs, performance.now() - start);
    }

    // The validator started and every schema and rule set compiled once, as a running portal has them.
    const warmStart = performance.now();
    for (const kind of KINDS) {
      const f = files.find((x) => x.kind === kind)!;
      const root = /<(?:\w+:)?(FatturaElettronica|Invoice|CreditNote)\b/.exec(f.xml)?.[1] ?? '';
      await validateEInvoice(FORMAT[kind], { bytes: Buffer.from(f.xml), text: f.xml, root });
    }
    out(`validator started and warmed in ${Math.round(performance.now() - warmStart)} ms (not in the ratio)`);

    // Full intake, one file after the other, with RSS and heap sampled.
    const samples: Sample[] = [];
    let done = 0;
    const start = performance.now();
    const sample = () => {
      const m = process.memoryUsage();
      samples.push({ at: performance.now() - start, done, rss: m.rss, heap: m.heapUsed, javaRss: javaRss() });
    };
    const sampler = setInterval(sample, 250);
    const perKind = new Map<Kind, { ms: number; n: number; lines: number }>();
    let failures = 0;
    let findings = 0;
    // As a batch upload does it (receive-einvoice-batch.ts): BATCH files at a time, the next files
    // read and validated while one's tickets are written. A file's time is the wall time from the
    // previous file's receipt to its own (what it added to the batch), so the kinds' times add up.
    let last = performance.now();
    const msOf: number[] = [];
    // With node --expose-gc: the heap still live after each tenth of the batch (a full GC between
    // two batches, its time left out of the intake's), which tells what the intake keeps from what
    // the collector has not reclaimed yet (the peaks above).
    const gc = (globalThis as { gc?: () => void }).gc;
    const live: number[] = [];
    let gcMs = 0;
    for (let b = 0; b < files.length; b += BATCH) {
      const batch = files.slice(b, b + BATCH);
      const results = await receiveEInvoiceBatch(
        ctx,
        batch.map((f) => ({ filename: f.name, buffer: f.bytes })),
        {
          onDone: (i) => {
            const now = performance.now();
            msOf[i] = now - last;
            last = now;
            done++;
          },
        },
      );
      results.forEach((r, i) => {
        const f = batch[i]!;
        if (!r.receipt) {
          failures++;
          if (failures <= 3) out(`  failed ${f.name}: ${(r.error as Error).message}`);
        } else {
          if (r.receipt.invoices.length !== 1 || !r.receipt.invoices[0]!.created) failures++;
          findings += r.receipt.invoices.reduce((n, inv) => n + inv.findings.length, 0);
        }
        const k = perKind.get(f.kind) ?? { ms: 0, n: 0, lines: 0 };
        k.ms += msOf[i]!;
        k.n++;
        k.lines += f.lines;
        perKind.set(f.kind, k);
      });
      if (gc && Math.floor((done * 10) / files.length) > live.length) {
        const t0 = performance.now();
        gc();
        live.push(process.memoryUsage().heapUsed);
        const took = performance.now() - t0;
        gcMs += took;
        last += took;
      }
    }
    clearInterval(sampler);
    sample();
    const intakeMs = performance.now() - start - gcMs;

    const rate = (ms: number) => (files.length / ms) * 1000;
    out(`bare parse      ${rate(bareMs).toFixed(0).padStart(8)} files/s  (${bareMs.toFixed(0)} ms)`);
    out(
      `full intake     ${rate(intakeMs).toFixed(1).padStart(8)} files/s  (${(intakeMs / 1000).toFixed(1)} s)`,
    );
    out(`ratio           ${(intakeMs / bareMs).toFixed(0)}x slower than the bare parse (target: 10x)`);
    for (const [kind, k] of perKind)
      out(
        `  ${kind.padEnd(14)} ${k.n} files, ${(k.ms / k.n).toFixed(0)} ms per file, mean ${(k.lines / k.n).toFixed(0)} lines`,
      );
    out(`findings ${findings}, failures ${failures}`);

    // Memory by tenths of the batch: peak RSS and heap in each.
    const tenths: string[] = [];
    const javaTenths: string[] = [];
    const peaks: number[] = [];
    const javaPeaks: number[] = [];
    for (let t = 0; t < 10; t++) {
      const inTenth = samples.filter(
        (s) => s.done >= (files.length * t) / 10 && s.done < (files.length * (t + 1)) / 10,
      );
      if (inTenth.length === 0) continue;
      const rss = Math.max(...inTenth.map((s) => s.rss));
      const heap = Math.max(...inTenth.map((s) => s.heap));
      peaks.push(rss);
      tenths.push(`${t + 1}: ${mb(rss)}/${mb(heap)}`);
      const java = Math.max(...inTenth.map((s) => s.javaRss));
      javaPeaks.push(java);
      javaTenths.push(`${t + 1}: ${mb(java)}`);
    }
    out(`peak RSS/heap by tenth of the batch  ${tenths.join('  ')}`);
    out(`validator process peak RSS by tenth  ${javaTenths.join('  ')}`);
    if (javaPeaks.length >= 3 && javaPeaks[1]! > 0) {
      const jg = (javaPeaks[javaPeaks.length - 1]! - javaPeaks[1]!) / javaPeaks[1]!;
      out(
        `validator last tenth vs second ${(jg * 100).toFixed(0)}%: ${Math.abs(jg) < 0.15 ? 'flat' : 'NOT flat'}`,
      );
    }
    const peakRss = Math.max(...samples.map((s) => s.rss));
    const growth = peaks.length >= 3 ? (peaks[peaks.length - 1]! - peaks[1]!) / peaks[1]! : 0;
    out(
      `peak RSS ${mb(peakRss)}, peak heap ${mb(Math.max(...samples.map((s) => s.heap)))}; ` +
        `last tenth vs second ${(growth * 100).toFixed(0)}%: ${Math.abs(growth) < 0.15 ? 'flat' : 'NOT flat'}`,
    );
    if (live.length >= 3) {
      const lg = (live[live.length - 1]! - live[1]!) / live[1]!;
      out(
        `live heap after each tenth (full GC, not timed)  ${live.map((h, i) => `${i + 1}: ${mb(h)}`).join('  ')}; ` +
          `last vs second ${(lg * 100).toFixed(0)}%: ${Math.abs(lg) < 0.15 ? 'flat' : 'NOT flat'}`,
      );
    } else out('live heap: run with NODE_OPTIONS=--expose-gc to measure it after each tenth');
    return failures === 0 ? 0 : 1;
  } finally {
    await stopSchematron().catch(() => undefined);
    await mongoose.disconnect();
    await engine.stop();
  }
}

runOnBackends(main, 'bench/einvoice');
