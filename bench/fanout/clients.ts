/**
 * One process of bench/fanout socket clients; run.ts starts several (client-group.ts) so that
 * parsing a burst of frames is spread over processes and the server's CPU is the server's.
 * Driven over IPC:
 *   in:  { type: 'expect', key }  -> out: { type: 'armed', key }, then { type: 'received', key, at: number[] }
 *        (epoch ms of each socket's receipt; sent when every socket of this process has it)
 *   in:  { type: 'close' }        -> disconnects and exits
 * Start-up: env BENCH_CLIENTS = JSON { url, cookies, n, offset, event };
 * answers { type: 'ready', connected, failed, ms }.
 */
import { io, type Socket } from 'socket.io-client';
// now: the same clock as run.ts, epoch ms with sub-millisecond resolution, comparable across processes.
import { now } from './probes.js';

interface Setup {
  url: string;
  cookies: string[];
  n: number;
  /** Index of this process's first socket in the whole group: spreads sockets over the users. */
  offset: number;
  event: string;
}

const setup = JSON.parse(process.env.BENCH_CLIENTS ?? '{}') as Setup;
const send = (msg: unknown): void => {
  process.send?.(msg);
};

const sockets: Socket[] = [];
let expecting: { key: string; at: number[]; timer: NodeJS.Timeout } | null = null;

function onEvent(payload: { subject?: string }): void {
  const at = now();
  if (!expecting || payload?.subject !== expecting.key) return;
  expecting.at.push(at);
  if (expecting.at.length >= sockets.length) finish();
}

function finish(): void {
  if (!expecting) return;
  clearTimeout(expecting.timer);
  send({ type: 'received', key: expecting.key, at: expecting.at });
  expecting = null;
}

async function connectAll(): Promise<void> {
  const started = Date.now();
  let failed = 0;
  let next = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const cookie = setup.cookies.length
        ? setup.cookies[(setup.offset + i) % setup.cookies.length]
        : undefined;
      const socket = io(setup.url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 20_000,
        extraHeaders: { origin: setup.url, ...(cookie ? { cookie } : {}) },
      });
      socket.on(setup.event, onEvent);
      socket.once('connect', () => {
        sockets.push(socket);
        resolve();
      });
      socket.once('connect_error', () => {
        failed++;
        socket.close();
        resolve();
      });
    });
  // A few handshakes at a time, as users arriving in the morning would.
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      while (next < setup.n) await one(next++);
    }),
  );
  send({ type: 'ready', connected: sockets.length, failed, ms: Date.now() - started });
}

process.on('message', (msg: { type: string; key?: string; timeoutMs?: number }) => {
  if (msg.type === 'expect' && msg.key) {
    expecting = { key: msg.key, at: [], timer: setTimeout(finish, msg.timeoutMs ?? 15_000) };
    send({ type: 'armed', key: msg.key });
  } else if (msg.type === 'close') {
    sockets.forEach((s) => s.close());
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));

connectAll().catch((err: unknown) => {
  process.stderr.write(`clients failed: ${String(err)}\n`);
  process.exit(1);
});
