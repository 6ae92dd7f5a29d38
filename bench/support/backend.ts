/**
 * Which backend of the embedded engine a bench runs on: BENCH_BACKEND=memory, h2 (the one
 * `npm start` uses, its file in a fresh temp data dir), or both (the default: the bench runs
 * once per backend, each in a process of its own, one after the other, and both print).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../server/db/embedded-engine.js';
import { out, runMain } from './harness.js';

export type BenchBackend = 'memory' | 'h2';
const BACKENDS: BenchBackend[] = ['memory', 'h2'];

/** This run's backend (memory when the bench runs on its own without the setting). */
export function benchBackend(): BenchBackend {
  return process.env.BENCH_BACKEND === 'h2' ? 'h2' : 'memory';
}

/**
 * The engine on this run's backend. On H2 the data lives in a temp dir removed on stop, and the
 * database name is fresh: H2 cannot create a database under a name dropped in the same engine.
 */
export async function startBenchEngine(
  dbName: string,
  log: Logger,
): Promise<EmbeddedEngine & { backend: BenchBackend }> {
  const backend = benchBackend();
  if (backend === 'memory') return { ...(await startEmbeddedEngine({ backend, log, dbName })), backend };
  const dataDir = mkdtempSync(join(tmpdir(), `${dbName}-h2-`));
  const engine = await startEmbeddedEngine({
    backend,
    log,
    dataDir,
    dbName: `${dbName}_${randomBytes(3).toString('hex')}`,
  });
  return {
    ...engine,
    backend,
    async stop() {
      await engine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The bench's entry point: with BENCH_BACKEND=memory or h2, `main` once on that backend; unset
 * or `both`, this same command once per backend (memory first), output passed through, exit
 * code the worst of the two.
 */
export function runOnBackends(main: () => Promise<number>, name: string): void {
  const setting = process.env.BENCH_BACKEND ?? 'both';
  if (setting !== 'both') {
    if (!(BACKENDS as string[]).includes(setting))
      throw new Error(`BENCH_BACKEND=${setting}: memory, h2 or both`);
    runMain(main, name);
    return;
  }
  let worst = 0;
  for (const backend of BACKENDS) {
    out(`===== ${name} on the ${backend} backend${backend === 'h2' ? ' (as npm start runs it)' : ''}`);
    const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      env: { ...process.env, BENCH_BACKEND: backend },
      stdio: 'inherit',
    });
    worst = Math.max(worst, run.status ?? 1);
  }
  process.exit(worst);
}
