import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, sleep } from '../support/harness.js';

async function listening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server: nothing listening on ${port}`);
    await sleep(100);
  }
}

/** A throw-away redis-server (Debian's package), for measuring the portal with the Redis adapter on. */
export async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await listening(port);
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
