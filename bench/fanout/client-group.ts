import { fork, type ChildProcess } from 'node:child_process';
import { fromRoot } from '../../server/paths.js';

/** `n` sockets to one server, spread over a few client processes (clients.ts). */
export interface ClientGroup {
  connected: number;
  failed: number;
  ms: number;
  /** Arm every process for `key`; resolves once all are listening. */
  arm(key: string, timeoutMs: number): Promise<void>;
  /** Every socket's receipt time of the armed key (fewer on a timeout). */
  received(): Promise<number[]>;
  close(): Promise<void>;
}

interface Child {
  proc: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
}

function startChild(setup: {
  url: string;
  cookies: string[];
  n: number;
  offset: number;
  event: string;
}): Child {
  const proc = fork(fromRoot('bench', 'fanout', 'clients.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_CLIENTS: JSON.stringify(setup) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = [];
  proc.on('message', (m: Record<string, unknown>) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(m);
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve) => waiting.push({ type, resolve }));
  return { proc, next };
}

export async function startClientGroup(
  url: string,
  cookies: string[],
  n: number,
  processes: number,
): Promise<ClientGroup> {
  const count = Math.max(1, Math.min(processes, n));
  const children: Child[] = [];
  let offset = 0;
  for (let p = 0; p < count; p++) {
    const size = Math.floor(n / count) + (p < n % count ? 1 : 0);
    children.push(startChild({ url, cookies, n: size, offset, event: 'ticket:created' }));
    offset += size;
  }
  const ready = await Promise.all(children.map((c) => c.next('ready')));
  const sum = (field: string) => ready.reduce((s, r) => s + Number(r[field]), 0);
  let pending: Array<Promise<Record<string, unknown>>> = [];
  return {
    connected: sum('connected'),
    failed: sum('failed'),
    ms: Math.max(...ready.map((r) => Number(r.ms))),
    async arm(key, timeoutMs) {
      const armed = children.map((c) => c.next('armed'));
      // Listen for the answers before anything can be sent, so none is missed.
      pending = children.map((c) => c.next('received'));
      children.forEach((c) => c.proc.send({ type: 'expect', key, timeoutMs }));
      await Promise.all(armed);
    },
    async received() {
      const all = await Promise.all(pending);
      return all.flatMap((m) => m.at as number[]);
    },
    async close() {
      await Promise.all(
        children.map((c) => {
          const exited = new Promise((r) => c.proc.once('exit', r));
          c.proc.send({ type: 'close' });
          return exited;
        }),
      );
    },
  };
}
