import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fromRoot } from '../../paths.js';
import type { SchematronReply, SchematronRequest, SvrlItem } from './schematron-worker.js';

/**
 * Runs Schematron rule sets (their official XSLT, compiled to SEF) over an invoice in one worker
 * thread (schematron-worker.ts), one invoice at a time. Bounded: a run that takes longer than
 * `timeoutMs` terminates the worker (a fresh one takes the next invoice) and rejects with
 * `SchematronTimeout`; the worker's heap is capped (`resourceLimits`), so a pathological file
 * fails alone instead of taking the portal's memory.
 */

export class SchematronTimeout extends Error {}

export const schematronLimits = { timeoutMs: 15_000, maxHeapMb: 1024 };

export const sefDir = () => fromRoot('einvoice-rules/build/sef');

export const ruleSetInstalled = (set: string) => existsSync(`${sefDir()}/${set}.sef.json`);

interface Pending {
  resolve: (items: SvrlItem[]) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();
/** Runs are one after the other: each waits for the one before (SaxonJS runs synchronously). */
let queue: Promise<unknown> = Promise.resolve();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function startWorker(): Worker {
  const options = {
    workerData: { sefDir: sefDir() },
    resourceLimits: { maxOldGenerationSizeMb: schematronLimits.maxHeapMb },
  };
  // Built, the worker is the .js beside this file. Under tsx (tests, dev) both are .ts sources,
  // and the worker registers tsx first (a worker does not always inherit its parent's loader;
  // `tsx/esm/api` resolves from the working directory, the project root).
  const w = import.meta.url.endsWith('.ts')
    ? new Worker(
        `import('tsx/esm/api').then((api) => { api.register(); ` +
          `return import(${JSON.stringify(new URL('./schematron-worker.ts', import.meta.url).href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(new URL('./schematron-worker.js', import.meta.url), options);
  w.unref();
  w.on('message', (reply: SchematronReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.items);
  });
  w.on('error', (err) => {
    if (worker === w) worker = null;
    failAll(err);
  });
  w.on('exit', () => {
    if (worker === w) worker = null;
    failAll(new Error('schematron worker stopped'));
  });
  return w;
}

function runOnce(xml: string, sets: string[]): Promise<SvrlItem[]> {
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  return new Promise<SvrlItem[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      if (worker === w) worker = null;
      void w.terminate();
      reject(new SchematronTimeout(`schematron run over ${schematronLimits.timeoutMs} ms`));
    }, schematronLimits.timeoutMs);
    pending.set(id, {
      resolve: (items) => {
        clearTimeout(timer);
        resolve(items);
      },
      reject: (err) => {
        clearTimeout(timer);
        reject(err);
      },
    });
    w.postMessage({ id, xml, sets } satisfies SchematronRequest);
  });
}

/** The SVRL items of every set over `xml`, in the order of `sets`. */
export function runSchematron(xml: string, sets: string[]): Promise<SvrlItem[]> {
  const run = queue.then(
    () => runOnce(xml, sets),
    () => runOnce(xml, sets),
  );
  queue = run.catch(() => undefined);
  return run;
}

/** Stops the worker (tests; the process exits without it: the worker is unref'd). */
export async function stopSchematron(): Promise<void> {
  const w = worker;
  worker = null;
  if (w) await w.terminate();
}
