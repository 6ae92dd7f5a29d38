import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../paths.js';

/**
 * The validator process: one long-lived Java 17 process (einvoice-validator/, built into
 * einvoice-validator/target/einvoice-validator.jar by scripts/einvoice-rules.ts) that keeps the XSD
 * compiled (the JDK's javax.xml.validation) and the official Schematron XSLT compiled (Saxon-HE),
 * and checks one file per request over stdin/stdout (protocol: Validator.java). Started on the
 * first request, restarted on the next request after it dies, and replaced by a new one when a
 * file needs a schema or rule set installed after it started (`npm run einvoice-rules` on a running
 * portal: the old one finishes its files and ends); the portal never waits on it unbounded:
 *
 * - a request that takes longer than `timeoutMs` (plus `timeoutMsPerMb`, plus `startTimeoutMs` for
 *   the first that needs a schema or rule set: the process compiles each once, on first need or
 *   in the background) rejects with `SchematronTimeout` (its late reply is dropped); a request still unanswered `hardKillAfterMs` later kills the process (the file
 *   made it hang), whose other requests reject with `ValidatorUnavailable`;
 * - the process's heap is capped (`maxHeapMb`); if it dies, every request in flight rejects with
 *   `ValidatorUnavailable` (validate-einvoice.ts turns that into a finding, never a lost invoice).
 */

export class SchematronTimeout extends Error {}
export class ValidatorUnavailable extends Error {}

export const schematronLimits = {
  timeoutMs: 15_000,
  /** Added to `timeoutMs` per MB of XML: a large file gets longer (checking grows with its lines). */
  timeoutMsPerMb: 15_000,
  hardKillAfterMs: 30_000,
  startTimeoutMs: 120_000,
  maxHeapMb: 1024,
  threads: 2,
};

const BUILD = () => fromRoot('einvoice-rules/build');
export const validatorJar = () => fromRoot('einvoice-validator/target/einvoice-validator.jar');

/** The XSD a request names (`kind`), as files of einvoice-rules/build. */
const SCHEMAS: Record<string, string> = {
  fatturapa: 'xsd/fatturapa/Schema_del_file_xml_FatturaPA_v1.2.2.xsd',
  Invoice: 'xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd',
  CreditNote: 'xsd/ubl21/maindoc/UBL-CreditNote-2.1.xsd',
};

/** The Schematron rule sets (einvoice-rules/sources.json's `ruleSets`), as files of the build. */
export const RULE_SET_FILES: Record<string, string> = {
  'en16931-ubl': 'xslt/EN16931-UBL-validation.xslt',
  'peppol-bis3': 'xslt/PEPPOL-EN16931-UBL.xslt',
  'oioubl-invoice': 'xslt/OIOUBL_Invoice_Schematron.xslt',
  'oioubl-creditnote': 'xslt/OIOUBL_CreditNote_Schematron.xslt',
};

export const ruleSetInstalled = (set: string) =>
  RULE_SET_FILES[set] !== undefined && existsSync(join(BUILD(), RULE_SET_FILES[set]));
export const schemaInstalled = (kind: string) =>
  SCHEMAS[kind] !== undefined && existsSync(join(BUILD(), SCHEMAS[kind]));

/** What the process says about one file. */
export type ValidatorRecord =
  | { type: 'xsd'; line: number; message: string }
  | { type: 'svrl'; set: string; id: string; flag: string; location: string; text: string }
  | { type: 'failed'; engine: string; message: string };

interface Pending {
  resolve: (records: ValidatorRecord[]) => void;
  reject: (err: Error) => void;
  timers: NodeJS.Timeout[];
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  stderr: string;
  /** The schemas and rule sets this process has answered with (compiled, so checking only). */
  warm: Set<string>;
  /** The schemas (`xsd.<kind>`) and rule sets it was started with: those installed then. */
  loaded: Set<string>;
}

let running: Running | null = null;
let nextId = 1;

function javaCommand(): string {
  const home = process.env.JAVA_HOME;
  return home && existsSync(join(home, 'bin', 'java')) ? join(home, 'bin', 'java') : 'java';
}

const unescape = (field: string) =>
  field.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));

export function parseRecords(payload: string): ValidatorRecord[] {
  if (payload === '') return [];
  return payload.split('\n').flatMap((line): ValidatorRecord[] => {
    const f = line.split('\t').map(unescape);
    if (f[0] === 'xsd') return [{ type: 'xsd', line: Number(f[1]) || 0, message: f[2] ?? '' }];
    if (f[0] === 'svrl')
      return [
        {
          type: 'svrl',
          set: f[1] ?? '',
          id: f[2] ?? '',
          flag: f[3] ?? '',
          location: f[4] ?? '',
          text: f[5] ?? '',
        },
      ];
    if (f[0] === 'failed') return [{ type: 'failed', engine: f[1] ?? '', message: f[2] ?? '' }];
    return [];
  });
}

function stop(r: Running, err: Error): void {
  if (running === r) running = null;
  for (const p of r.pending.values()) {
    for (const t of p.timers) clearTimeout(t);
    p.reject(err);
  }
  r.pending.clear();
  r.child.kill('SIGKILL');
}

/** The process's command line: the schemas and rule sets installed now, and their names. */
function processArgs(): { args: string[]; loaded: Set<string> } {
  const schemas = Object.entries(SCHEMAS).filter(([kind]) => schemaInstalled(kind));
  const sets = Object.entries(RULE_SET_FILES).filter(([set]) => ruleSetInstalled(set));
  const args = [
    `-Xmx${schematronLimits.maxHeapMb}m`,
    '-XX:+UseSerialGC',
    '-jar',
    validatorJar(),
    String(schematronLimits.threads),
    ...schemas.map(([kind, file]) => `xsd.${kind}=${join(BUILD(), file)}`),
    ...sets.map(([set, file]) => `sch.${set}=${join(BUILD(), file)}`),
  ];
  return { args, loaded: new Set([...schemas.map(([kind]) => `xsd.${kind}`), ...sets.map(([set]) => set)]) };
}

function start(): Running {
  const { args, loaded } = processArgs();
  const child = spawn(javaCommand(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const r: Running = {
    child,
    pending: new Map(),
    stderr: '',
    ready: Promise.resolve(),
    warm: new Set(),
    loaded,
  };
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void }).unref?.();

  let buffer: Buffer = Buffer.alloc(0);
  let header: { id: number; length: number } | null = null;
  let markReady: () => void = () => {};
  let failReady: (err: Error) => void = () => {};
  r.ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  r.ready.catch(() => undefined);
  let isReady = false;
  const startTimer = setTimeout(() => {
    failReady(new ValidatorUnavailable('the validator did not start in time'));
    stop(r, new ValidatorUnavailable('the validator did not start in time'));
  }, schematronLimits.startTimeoutMs);

  child.stdout.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (!header) {
        const nl = buffer.indexOf(10);
        if (nl < 0) return;
        const line = buffer.subarray(0, nl).toString('latin1');
        buffer = buffer.subarray(nl + 1);
        if (!isReady) {
          if (line === 'VALIDATOR READY') {
            isReady = true;
            clearTimeout(startTimer);
            markReady();
          }
          continue;
        }
        const [id, length] = line.split(' ').map(Number);
        header = { id: id ?? 0, length: length ?? 0 };
      }
      if (buffer.length < header.length) return;
      const payload = buffer.subarray(0, header.length).toString('utf8');
      buffer = buffer.subarray(header.length);
      const p = r.pending.get(header.id);
      r.pending.delete(header.id);
      header = null;
      if (!p) continue;
      for (const t of p.timers) clearTimeout(t);
      p.resolve(parseRecords(payload));
      // Replaced (retire) and done with its last file: it ends.
      if (running !== r && r.pending.size === 0) r.child.kill('SIGKILL');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    r.stderr = (r.stderr + chunk.toString('utf8')).slice(-2000);
  });
  const died = (why: string) => {
    clearTimeout(startTimer);
    const detail = `${why}${r.stderr ? `: ${r.stderr.trim().split('\n').slice(-1)[0]}` : ''}`.slice(0, 300);
    failReady(new ValidatorUnavailable(detail));
    stop(r, new ValidatorUnavailable(detail));
  };
  child.on('error', (err) => died(`the validator could not start (${err.message})`));
  child.on('exit', (code, signal) => died(`the validator stopped (${signal ?? code})`));
  child.stdin.on('error', () => undefined);
  return r;
}

/**
 * The validator's records for one file: XSD `kind` (`fatturapa`, `Invoice`, `CreditNote`, or null
 * for none) and the Schematron `sets`, in one request.
 */
export async function runValidator(
  kind: string | null,
  sets: string[],
  bytes: Uint8Array,
): Promise<ValidatorRecord[]> {
  if (!existsSync(validatorJar()))
    throw new ValidatorUnavailable('the validator is not built (npm run einvoice-rules)');
  const needs = [...(kind ? [`xsd.${kind}`] : []), ...sets];
  // Started before a schema or rule set this file needs was installed: a new process loads it.
  const current = running;
  if (current && needs.some((n) => !current.loaded.has(n))) retire(current);
  running ??= start();
  const r = running;
  await r.ready;
  const id = nextId++;
  // The first file that needs a schema or rule set waits for its compiling too (seconds).
  const timeoutMs =
    schematronLimits.timeoutMs +
    Math.round((bytes.byteLength / 1_048_576) * schematronLimits.timeoutMsPerMb) +
    (needs.every((n) => r.warm.has(n)) ? 0 : schematronLimits.startTimeoutMs);
  return new Promise<ValidatorRecord[]>((resolve, reject) => {
    const p: Pending = {
      resolve: (records) => {
        for (const n of needs) r.warm.add(n);
        resolve(records);
      },
      reject,
      timers: [],
    };
    p.timers.push(
      setTimeout(() => {
        // Answered late or never: the caller goes on; the process gets a while longer.
        p.resolve = () => {};
        p.reject = () => {};
        reject(new SchematronTimeout(`over ${timeoutMs} ms`));
      }, timeoutMs),
      setTimeout(() => {
        if (r.pending.has(id))
          stop(r, new ValidatorUnavailable('the validator hung on a file and was restarted'));
      }, timeoutMs + schematronLimits.hardKillAfterMs),
    );
    // The process and its pipes are unref'd (an idle validator never keeps the portal alive); a
    // request's own time limit (ref'd) keeps the event loop running until its answer.
    p.timers[1]?.unref();
    r.pending.set(id, p);
    r.child.stdin.write(`${id} ${kind ?? '-'} ${sets.length ? sets.join(',') : '-'} ${bytes.byteLength}\n`);
    r.child.stdin.write(bytes);
  });
}

/**
 * Stop handing a process new files: the next request starts another; this one ends when the files
 * it holds are answered (at once when it holds none).
 */
function retire(r: Running): void {
  if (running === r) running = null;
  if (r.pending.size === 0) r.child.kill('SIGKILL');
}

/** The validator process's pid while it runs (the bench samples its memory). */
export const validatorPid = (): number | undefined => running?.child.pid;

/** Stops the process (tests; the portal exits without it: it is unref'd). */
export async function stopSchematron(): Promise<void> {
  const r = running;
  running = null;
  if (!r) return;
  const exited = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
  stop(r, new ValidatorUnavailable('the validator was stopped'));
  if (r.child.exitCode === null && r.child.signalCode === null) await exited;
}
