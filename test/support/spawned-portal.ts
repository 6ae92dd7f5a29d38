import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fromRoot } from '../../server/paths.js';

/**
 * A free TCP port, from below the system's ephemeral range: a port the OS hands out for a bind to
 * port 0 could be given to another listener between this check and its use (the portal's own
 * embedded engine, started with port 0 before the portal listens, once took the port picked for
 * the portal: EADDRINUSE in lifecycle.test.ts). Checked on every interface, as the portal listens.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let tries = 0; tries < 50; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found below ${low}`);
}

/** The first port of the OS's ephemeral range (Linux's default 32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, () => srv.close(() => resolve(true)));
  });
}

export interface SpawnedPortal {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code and how long the exit took after the signal. */
  signal(sig: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** `server/main.ts` as its own process, as `npm start` runs it, with the given environment. */
export async function spawnPortal(
  env: Record<string, string>,
  readyTimeoutMs = 120_000,
): Promise<SpawnedPortal> {
  const port = Number(env.PORT ?? (await freePort()));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    ...env,
    PORT: String(port),
  };
  if (!('MONGODB_URI' in env)) delete childEnv.MONGODB_URI;
  const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('server', 'main.ts')], {
    cwd: fromRoot(),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portal exited early (${child.exitCode}):\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`portal not ready in ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    url,
    output: () => out,
    async signal(sig) {
      const started = Date.now();
      child.kill(sig);
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
