/**
 * What every bench under bench/ shares: printing, the watchdog, the entry point, timing and
 * statistics helpers, a free loopback port, garbage collection and the driver's command profile.
 * The /proc readers (CPU time and memory of processes) are in proc.ts.
 */
import { createServer } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MongoClient } from 'mongodb';

/** One line of the bench's result on stdout (no console: lint forbids it). */
export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** Exits 2 when the bench has no result after `timeoutMs`; does not keep the process alive. */
export function startWatchdog(timeoutMs: number): void {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: no result after ${timeoutMs} ms, giving up\n`);
    process.exit(2);
  }, timeoutMs);
  watchdog.unref();
}

/** Runs the bench's main and exits with its code; on a throw, prints `${name} failed: …` and exits 1. */
export function runMain(main: () => Promise<number>, name = 'bench'): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The value at percentile `p` (0-100) of ascending `sorted`; NaN when it is empty. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = sorted(xs);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: percentile(s, 100) };
}

export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;

/** A deterministic pseudo-random sequence, so two runs build the same tickets. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A TCP port free on loopback right now (the OS picks it; closed again before it is used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether node runs with --expose-gc (gcIfExposed collects only then). */
export const gcExposed = (): boolean => Boolean((globalThis as { gc?: unknown }).gc);

/** A full garbage collection when node runs with --expose-gc; nothing otherwise. */
export const gcIfExposed = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * A full garbage collection whatever node's flags: sets --expose-gc at run time and takes `gc`
 * from a new context, since the flag only adds it to contexts created after it is set.
 */
export function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Per database command (command name and collection): how many and their total duration. */
export interface CommandRow {
  n: number;
  ms: number;
}

/**
 * Where the database time goes: counts and times every command of `client` between start() and
 * stop() (driver command monitoring: the client's URI needs monitorCommands=true). The duration
 * is the client's, so waiting in the engine is included.
 */
export function commandProfile(client: MongoClient): {
  start(): void;
  stop(): void;
  /** Command and collection with its row, the most time first. */
  rows(): Array<[string, CommandRow]>;
} {
  const commands = new Map<string, CommandRow>();
  const pending = new Map<number, string>();
  const onStarted = (e: { requestId: number; commandName: string; command: Record<string, unknown> }) => {
    const target = e.command[e.commandName];
    pending.set(e.requestId, `${e.commandName} ${typeof target === 'string' ? target : ''}`);
  };
  const onSucceeded = (e: { requestId: number; duration: number }) => {
    const key = pending.get(e.requestId) ?? '?';
    pending.delete(e.requestId);
    const row = commands.get(key) ?? { n: 0, ms: 0 };
    row.n++;
    row.ms += e.duration;
    commands.set(key, row);
  };
  return {
    start() {
      client.on('commandStarted', onStarted);
      client.on('commandSucceeded', onSucceeded);
    },
    stop() {
      client.off('commandStarted', onStarted);
      client.off('commandSucceeded', onSucceeded);
    },
    rows: () => [...commands.entries()].sort((a, b) => b[1].ms - a[1].ms),
  };
}

/** One row of a command profile: key, count, mean and total time, in columns of the given widths. */
export const commandLine = (key: string, r: CommandRow, keyWidth: number, countWidth: number): string =>
  `  ${key.padEnd(keyWidth)} ${String(r.n).padStart(countWidth)} x ${(r.ms / r.n).toFixed(2).padStart(8)} ms = ${r.ms.toFixed(0).padStart(7)} ms`;
