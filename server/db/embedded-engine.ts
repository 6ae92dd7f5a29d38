/**
 * The embedded dev database: mongo-java-server (devdb/, built into devdb/target/devdb.jar) run as a
 * child process when MONGODB_URI is not set.
 *
 * - `ensureEngineJar` builds the jar with Maven when it is missing or older than its sources.
 * - `startEmbeddedEngine` starts `java -jar devdb.jar` and waits for its `DEVDB READY port=N` line.
 *   The child's stdin is a pipe that this process keeps open: when this process dies, however it
 *   dies, the engine sees end of file and shuts down cleanly. The child does not keep this
 *   process alive (its handles are unref'd), so call `stop()` to end it on purpose.
 * - With the h2 backend and a data dir, an engine already running on that data dir (found through
 *   `DATA_DIR/devdb.json`) is reused, not started twice: the seed or the CLI run beside the portal
 *   share its engine. H2 locks its file, so two engines on one data dir cannot both run anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

export interface EmbeddedEngine {
  uri: string;
  port: number;
  /** false when an engine started by another process was reused: stop() then does nothing. */
  owned: boolean;
  stop(): Promise<void>;
}

export interface StartEmbeddedEngineOptions {
  backend: 'memory' | 'h2';
  /** Required for h2: the data lives in DATA_DIR/devdb.mv. */
  dataDir?: string;
  /** 0 or absent: a free ephemeral port. */
  port?: number;
  log: Logger;
  dbName?: string;
  /** Restart an h2 engine that dies (default true); a test that kills and restarts it itself says false. */
  supervise?: boolean;
  /** The JVM heap in MB (config DEVDB_HEAP_MB); absent: engineHeapMb() sizes it from the machine. */
  heapMb?: number;
  /** DEVDB_VERIFY_INDEXES: check every index against the documents at every start, not only after a crash. */
  verifyIndexes?: 'after-crash' | 'always';
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const BUILD_TIMEOUT_MS = 10 * 60_000;
const STATE_FILE = 'devdb.json';
const STDERR_TAIL_CHARS = 4000;
const DEFAULT_DB_NAME = 'backoffice_desk';

/**
 * JVM flags: a modest footprint for a dev database (serial GC, a bounded heap that starts small,
 * smaller thread stacks, bounded direct buffers for netty). -XX:TieredStopAtLevel=1 was measured
 * and left out: it did not start the engine faster and made H2 scans and inserts 2-3x slower.
 * DEVDB_JAVA_OPTS (split on whitespace) is appended, e.g. to see the engine's own logging:
 * DEVDB_JAVA_OPTS=-Dorg.slf4j.simpleLogger.defaultLogLevel=info
 */
/**
 * The engine's heap, in MB: DEVDB_HEAP_MB, or a quarter of the machine's memory between 512 MB and
 * 8 GB. H2 keeps its page cache and every open cursor's documents there; a fixed 512 MB ran out
 * at 80 000 tickets (the JVM then exits with code 3 and is restarted, see supervise()).
 */
export function engineHeapMb(setMb?: number, totalBytes = totalmem()): number {
  const set = setMb ?? Number(process.env['DEVDB_HEAP_MB']);
  if (Number.isInteger(set) && set >= 64) return set;
  return Math.min(8192, Math.max(512, Math.floor(totalBytes / 4 / 1024 / 1024)));
}

export const ENGINE_JVM_FLAGS: readonly string[] = [
  '-XX:+UseSerialGC',
  '-Xms32m',
  '-Xss512k',
  '-XX:MaxDirectMemorySize=128m',
  '-XX:+ExitOnOutOfMemoryError',
];

/** The folder holding package.json and devdb/pom.xml, from server/db/ (tsx) or dist/server/db/. */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'devdb', 'pom.xml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `embedded engine: no project root (a folder with package.json and devdb/pom.xml) above ${fileURLToPath(import.meta.url)}`,
      );
    }
    dir = parent;
  }
}

function javaCommand(): string {
  const home = process.env['JAVA_HOME'];
  if (home) {
    const candidate = join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (existsSync(candidate)) return candidate;
  }
  return 'java';
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a command to completion, collecting stdout and stderr together. Rejects on spawn errors. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 64_000) output = output.slice(-32_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, output }));
  });
}

function isMissingCommand(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

async function requireTool(command: string, args: string[], what: string, cwd: string): Promise<void> {
  try {
    const result = await run(command, args, cwd, 60_000);
    if (result.code !== 0) {
      throw new Error(
        `embedded engine: '${command} ${args.join(' ')}' failed (exit ${result.code}): ${tail(result.output, 1000)}`,
      );
    }
  } catch (error) {
    if (isMissingCommand(error)) {
      throw new Error(
        `embedded engine: '${command}' was not found on PATH; ${what} is needed to build and run the dev database ` +
          `(devdb/). Install it (Debian: apt-get install -y openjdk-17-jdk-headless maven) or set MONGODB_URI ` +
          `to use a real MongoDB.`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) {
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

async function jarIsFresh(root: string, jar: string): Promise<boolean> {
  let jarTime: number;
  try {
    jarTime = (await stat(jar)).mtimeMs;
  } catch {
    return false;
  }
  const sourceTime = Math.max(
    await newestMtime(join(root, 'devdb', 'pom.xml')),
    await newestMtime(join(root, 'devdb', 'src')),
  );
  return jarTime >= sourceTime;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

function tail(text: string, chars: number): string {
  const trimmed = text.trim();
  return trimmed.length <= chars ? trimmed : `…${trimmed.slice(-chars)}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock between processes (two test runs, the portal and the seed) so that only one runs Maven
 * at a time: mkdir is atomic, and the folder holds the owner's pid. A lock whose owner is gone
 * (a build interrupted by Ctrl-C), or older than the build timeout, is taken as abandoned.
 */
async function withBuildLock<T>(lockDir: string, log: Logger, body: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockDir), { recursive: true });
  const ownerFile = join(lockDir, 'pid');
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(ownerFile, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        const age = Date.now() - (await stat(lockDir)).mtimeMs;
        const owner = Number(await readFile(ownerFile, 'utf8').catch(() => ''));
        const ownerGone = owner > 0 ? !processAlive(owner) : age > 30_000;
        if (ownerGone || age > BUILD_TIMEOUT_MS) {
          log.warn({ lockDir, owner }, 'embedded engine: removing an abandoned build lock');
          await rm(lockDir, { recursive: true, force: true });
          continue;
        }
      } catch {
        continue; // the lock went away between mkdir and stat
      }
      if (!announced) {
        log.info({ lockDir }, 'embedded engine: another process is building the engine jar; waiting');
        announced = true;
      }
      await sleep(500);
    }
  }
  try {
    return await body();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

let buildInFlight: Promise<string> | undefined;

/**
 * The path of devdb/target/devdb.jar, built first (`mvn -q -B -f devdb/pom.xml package -DskipTests`)
 * when it is missing or older than devdb/pom.xml or anything under devdb/src.
 */
export async function ensureEngineJar(log: Logger): Promise<string> {
  const root = findProjectRoot();
  const jar = join(root, 'devdb', 'target', 'devdb.jar');
  if (await jarIsFresh(root, jar)) return jar;
  buildInFlight ??= (async () => {
    try {
      return await withBuildLock(join(root, 'devdb', 'target', '.devdb-build.lock'), log, async () => {
        if (await jarIsFresh(root, jar)) return jar; // another process built it while we waited
        await requireTool(javaCommand(), ['-version'], 'Java 17 (a JDK)', root);
        await requireTool('mvn', ['-v'], 'Maven 3', root);
        log.info(
          { jar },
          'embedded engine: building the engine jar with Maven (the first build downloads its dependencies)',
        );
        const started = Date.now();
        const pom = join(root, 'devdb', 'pom.xml');
        const result = await run(
          'mvn',
          ['-q', '-B', '-f', pom, 'package', '-DskipTests'],
          root,
          BUILD_TIMEOUT_MS,
        );
        if (result.code !== 0 || !existsSync(jar)) {
          throw new Error(
            `embedded engine: 'mvn -q -B -f devdb/pom.xml package -DskipTests' failed ` +
              `(${result.signal ? `signal ${result.signal}` : `exit ${result.code}`}):\n${tail(result.output, STDERR_TAIL_CHARS)}`,
          );
        }
        log.info({ jar, ms: Date.now() - started }, 'embedded engine: jar built');
        return jar;
      });
    } finally {
      buildInFlight = undefined;
    }
  })();
  return buildInFlight;
}

interface EngineState {
  pid: number;
  port: number;
}

async function readState(file: string): Promise<EngineState | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (parsed && typeof parsed === 'object') {
      const { pid, port } = parsed as Record<string, unknown>;
      if (Number.isInteger(pid) && Number.isInteger(port))
        return { pid: pid as number, port: port as number };
    }
  } catch {
    // missing or unreadable: no state
  }
  return undefined;
}

/** Whether pid is a running engine (on Linux, its command line must name devdb.jar: pids are reused). */
async function engineAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false;
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('devdb.jar');
  } catch {
    return process.platform !== 'linux'; // no /proc to ask: trust the pid
  }
}

function portAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function uriFor(port: number, dbName: string): string {
  return `mongodb://127.0.0.1:${port}/${dbName}`;
}

/** A running engine recorded in DATA_DIR/devdb.json, or undefined (a stale file is removed). */
async function findRunningEngine(stateFile: string, log: Logger): Promise<EngineState | undefined> {
  const state = await readState(stateFile);
  if (!state) return undefined;
  if ((await engineAlive(state.pid)) && (await portAnswers(state.port))) return state;
  log.debug(
    { stateFile, enginePid: state.pid, port: state.port },
    'embedded engine: removing a stale state file',
  );
  await rm(stateFile, { force: true });
  return undefined;
}

function reused(state: EngineState, dbName: string, dataDir: string, log: Logger): EmbeddedEngine {
  log.info(
    { enginePid: state.pid, port: state.port, dataDir },
    'embedded engine: reusing the engine already running on this data dir',
  );
  return { uri: uriFor(state.port, dbName), port: state.port, owned: false, stop: async () => {} };
}

/** unref() a child process and its pipes, so that they do not keep this process alive. */
function detachFromEventLoop(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/** Starts the engine (or, for h2 with a data dir, reuses the one running on that data dir). */
export async function startEmbeddedEngine(opts: StartEmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const { backend, log } = opts;
  const dbName = opts.dbName ?? DEFAULT_DB_NAME;
  const port = opts.port ?? 0;
  if (backend === 'h2' && !opts.dataDir) throw new Error('embedded engine: the h2 backend needs a dataDir');
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const stateFile = backend === 'h2' && dataDir ? join(dataDir, STATE_FILE) : undefined;

  if (stateFile && dataDir) {
    const running = await findRunningEngine(stateFile, log);
    if (running) return reused(running, dbName, dataDir, log);
  }

  const jar = await ensureEngineJar(log);
  const root = findProjectRoot();
  try {
    const launchOptions = {
      jar,
      root,
      backend,
      dataDir,
      port,
      dbName,
      stateFile,
      log,
      heapMb: engineHeapMb(opts.heapMb),
      verifyAlways: opts.verifyIndexes === 'always',
    };
    // Only a durable engine is worth restarting: a memory one would come back empty.
    return backend === 'h2' && opts.supervise !== false
      ? await supervise(launchOptions)
      : await launch(launchOptions);
  } catch (error) {
    // Another process may have started an engine on this data dir at the same moment: H2 then
    // refuses to open the locked file. Use that engine once it has published its state.
    if (stateFile && dataDir && /lock/i.test((error as Error).message)) {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const running = await findRunningEngine(stateFile, log);
        if (running) return reused(running, dbName, dataDir, log);
        await sleep(250);
      }
    }
    throw error;
  }
}

interface EngineExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of the engine's stderr. */
  stderr: string;
}

/** The JVM's exit code with -XX:+ExitOnOutOfMemoryError. */
const JVM_OUT_OF_MEMORY_EXIT = 3;

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

interface LaunchOptions {
  /** Called when the engine exits without having been asked to stop. */
  onCrash?: (exit: EngineExit) => void;
  jar: string;
  root: string;
  backend: 'memory' | 'h2';
  dataDir: string | undefined;
  port: number;
  dbName: string;
  stateFile: string | undefined;
  log: Logger;
  heapMb: number;
  verifyAlways: boolean;
}

// Long function: one process's start, supervision and stop share its handles; each step is a named helper.
async function launch(o: LaunchOptions): Promise<EmbeddedEngine> {
  const { log } = o;
  const extraFlags = (process.env['DEVDB_JAVA_OPTS'] ?? '').split(/\s+/).filter(Boolean);
  const args = [
    ...ENGINE_JVM_FLAGS,
    `-Xmx${o.heapMb}m`,
    ...extraFlags,
    '-jar',
    o.jar,
    '--backend',
    o.backend,
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port),
  ];
  if (o.dataDir) args.push('--data-dir', o.dataDir);
  if (o.verifyAlways && o.backend === 'h2') args.push('--verify-indexes-always');
  const started = Date.now();
  // detached: a process group of its own, so that a Ctrl-C in the terminal reaches this process
  // only, which then stops the engine after its own shutdown (the engine must outlive it that long).
  const child = spawn(javaCommand(), args, { cwd: o.root, stdio: ['pipe', 'pipe', 'pipe'], detached: true });

  let stderrTail = '';
  let stderrPartial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    const lines = (stderrPartial + chunk).split('\n');
    stderrPartial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      // An index rebuilt after a crash, or a start refused over broken data, is for the operator.
      if (/^devdb: (repaired|refusing)/.test(line)) log.warn({ enginePid: child.pid }, line);
      else if (line.startsWith('devdb: ')) log.info({ enginePid: child.pid }, line);
      // The engine accepts and ignores secondary indexes (see README): expected, so not a warning.
      else if (line.includes('is not yet implemented. ignoring'))
        log.debug({ enginePid: child.pid }, `engine: ${line}`);
      else log.warn({ enginePid: child.pid }, `engine: ${line}`);
    }
  });
  // An EPIPE on stdin (the engine gone) must not crash this process.
  child.stdin.on('error', () => {});

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) => {
    child.once('exit', (code, signal) => resolvePromise({ code, signal }));
  });

  let actualPort: number;
  try {
    actualPort = await new Promise<number>((resolvePromise, reject) => {
      let stdoutBuffer = '';
      const timer = setTimeout(() => {
        reject(
          new Error(
            `embedded engine: not ready after ${READY_TIMEOUT_MS / 1000} s; stderr:\n${tail(stderrTail, STDERR_TAIL_CHARS)}`,
          ),
        );
      }, READY_TIMEOUT_MS);
      // The engine's main thread can die before it is ready while netty's threads keep the JVM
      // alive (a BindException on a port still held is thrown past its handler): that is a failed
      // start, now rather than after READY_TIMEOUT_MS.
      child.stderr.on('data', () => {
        if (!/^Exception in thread "main" /m.test(stderrTail)) return;
        clearTimeout(timer);
        setTimeout(() => {
          reject(
            new Error(`embedded engine: failed to start; stderr:\n${tail(stderrTail, STDERR_TAIL_CHARS)}`),
          );
        }, 50);
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdoutBuffer += chunk;
        const match = /^DEVDB READY port=(\d+)\r?$/m.exec(stdoutBuffer);
        if (match?.[1]) {
          clearTimeout(timer);
          stdoutBuffer = '';
          resolvePromise(Number(match[1]));
        } else if (stdoutBuffer.length > 64_000) {
          stdoutBuffer = stdoutBuffer.slice(-1000);
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(
          isMissingCommand(error)
            ? new Error(
                `embedded engine: '${javaCommand()}' was not found; install Java 17 (Debian: apt-get install -y openjdk-17-jdk-headless) or set MONGODB_URI`,
                { cause: error },
              )
            : error,
        );
      });
      // `exited` never rejects (it resolves on the child's exit event).
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        // Give the last stderr chunk a moment to arrive.
        setTimeout(() => {
          reject(
            new Error(
              `embedded engine: exited before it was ready (${signal ? `signal ${signal}` : `exit ${code}`}); stderr:\n${tail(stderrTail, STDERR_TAIL_CHARS)}`,
            ),
          );
        }, 50);
      });
    });
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }

  const pid = child.pid ?? 0;
  log.info(
    { enginePid: pid, port: actualPort, backend: o.backend, dataDir: o.dataDir, ms: Date.now() - started },
    'embedded engine: ready',
  );

  if (o.stateFile) {
    const temp = `${o.stateFile}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ pid, port: actualPort })}\n`);
    await rename(temp, o.stateFile);
  }

  let stopping = false;
  const removeStateIfOurs = async (): Promise<void> => {
    if (!o.stateFile) return;
    const state = await readState(o.stateFile);
    if (state?.pid === pid) await rm(o.stateFile, { force: true });
  };
  void exited.then(({ code, signal }) => {
    if (!stopping) {
      removeStateIfOurs().catch(() => {});
      const exit = { pid, code, signal, stderr: tail(stderrTail, 1000) };
      if (o.onCrash) o.onCrash(exit);
      else
        log.error(
          { enginePid: pid, code, signal, stderr: exit.stderr },
          `embedded engine: exited unexpectedly (${describeExit(code, signal)})`,
        );
    }
  });

  detachFromEventLoop(child);

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((resolvePromise) => {
            timer = setTimeout(() => resolvePromise(true), STOP_GRACE_MS);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          log.warn(
            { enginePid: pid },
            `embedded engine: no exit ${STOP_GRACE_MS / 1000} s after SIGTERM; killing it`,
          );
          child.kill('SIGKILL');
          await exited;
        }
      }
      const { code, signal } = await exited;
      log.info({ enginePid: pid, code, signal }, 'embedded engine: stopped');
      await removeStateIfOurs();
    })();
    return stopPromise;
  };

  return { uri: uriFor(actualPort, o.dbName), port: actualPort, owned: true, stop };
}

const RESTART_FIRST_DELAY_MS = 500;
const RESTART_MAX_DELAY_MS = 10_000;
/** An engine that stayed up this long counts as healthy again: the next crash restarts at once. */
const RESTART_HEALTHY_MS = 60_000;

/** How long a restart waits for the dead engine's port to be free before it counts as failed. */
const PORT_FREE_WAIT_MS = 5_000;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = createServer();
    probe.once('error', () => resolvePromise(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise(true)));
  });
}

/** Resolves once the port can be bound on 127.0.0.1; rejects after timeoutMs. */
async function waitForFreePort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portIsFree(port))) {
    if (Date.now() > deadline)
      throw new Error(`embedded engine: port ${port} still in use after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/**
 * Launch the engine and restart it whenever it exits without being asked to (kill -9, out of
 * memory), on the same data dir and port so that the driver's own reconnection finds it, with a
 * backoff (0.5 s doubling to 10 s) so that a crash loop is a slow, logged loop, never a hot one.
 * Meanwhile the portal answers 503 (the driver's errors, errors/normalize.ts) and /readyz says so.
 */
async function supervise(o: LaunchOptions): Promise<EmbeddedEngine> {
  const { log } = o;
  let stopped = false;
  let delay = RESTART_FIRST_DELAY_MS;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;
  let current: EmbeddedEngine;
  const scheduleRestart = (): void => {
    timer = setTimeout(() => {
      restarting = restart().finally(() => {
        restarting = undefined;
      });
    }, delay);
    delay = Math.min(delay * 2, RESTART_MAX_DELAY_MS);
  };
  const onCrash = ({ pid, code, signal, stderr }: EngineExit): void => {
    if (stopped) return;
    if (Date.now() - startedAt >= RESTART_HEALTHY_MS) delay = RESTART_FIRST_DELAY_MS;
    const why =
      code === JVM_OUT_OF_MEMORY_EXIT
        ? `exit code 3: out of memory with a ${o.heapMb} MB heap (-Xmx${o.heapMb}m); raise DEVDB_HEAP_MB, or use MongoDB (MONGODB_URI) for a database this size`
        : describeExit(code, signal);
    log.error(
      { enginePid: pid, code, signal, heapMb: o.heapMb, restartInMs: delay, stderr },
      `embedded engine: died (${why}); restarting in ${delay} ms`,
    );
    scheduleRestart();
  };
  const restart = async (): Promise<void> => {
    if (stopped) return;
    try {
      // The same port: the driver keeps reconnecting to it, and finds the new engine there.
      await waitForFreePort(current.port, PORT_FREE_WAIT_MS);
      current = await launch({ ...o, port: current.port, onCrash });
      startedAt = Date.now();
      log.warn(
        { port: current.port, dataDir: o.dataDir },
        `embedded engine: restarted on port ${current.port}`,
      );
    } catch (err) {
      // Typically the port still held for a moment, or the crash repeating at start: back off.
      log.error({ err, restartInMs: delay }, `embedded engine: restart failed; trying again in ${delay} ms`);
      if (!stopped) scheduleRestart();
    }
  };
  current = await launch({ ...o, onCrash });
  return {
    uri: current.uri,
    port: current.port,
    owned: true,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // A restart under way finishes first, so that the engine it starts is the one stopped.
      await restarting;
      await current.stop();
    },
  };
}
