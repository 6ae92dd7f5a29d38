import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { engineHeapMb } from '../../../server/db/embedded-engine.js';
import { SESSION_COOKIE } from '../../../server/http/auth/sessions.js';
import { isAlive, spawnPortal, type SpawnedPortal } from '../../support/spawned-portal.js';

/**
 * Issue 13, item 2: the portal supervises its embedded database. The engine is killed with -9 while
 * requests that need the database keep coming (a page with a session cookie, so the session store
 * is read; an API call with a bad token, so the token is looked up): each answer is a normal one or
 * a 503 with Retry-After, never a 500, never slower than 10 s; /readyz goes 503 and back to 200;
 * the engine comes back under a new pid on the same port, with the heap DEVDB_HEAP_MB says.
 */
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (line: string): void => {
  process.stdout.write(`      [engine-supervision] ${line}\n`);
};

interface EngineState {
  pid: number;
  port: number;
}

async function engineState(dataDir: string): Promise<EngineState | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, 'devdb.json'), 'utf8')) as EngineState;
  } catch {
    return null;
  }
}

async function engineCommandLine(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
}

/** express-session's signed cookie value for a session id (cookie-signature's format). */
function signedSessionCookie(sid: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `${SESSION_COOKIE}=${encodeURIComponent(`s:${sid}.${mac}`)}`;
}

const HOLD_MS = 8000;

/** Listen on a port the moment it is free, dropping every connection to it. */
async function holdPort(port: number): Promise<Server> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const server = createServer((socket) => socket.destroy());
    const error = await new Promise<Error | null>((resolve) => {
      server.once('error', resolve);
      server.listen(port, '127.0.0.1', () => resolve(null));
    });
    if (!error) return server;
    if (Date.now() > deadline) throw error;
    await wait(20);
  }
}

interface Reply {
  status: number;
  retryAfter: string | null;
}

/**
 * One request on a connection of its own (no keep-alive: a reused idle connection that the server
 * closes at that instant is a client-side race, not an answer of the portal). Rejects with a
 * TimeoutError after 10 s.
 */
function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method, headers, agent: false, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('no answer within 10 s'), { name: 'TimeoutError' })),
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Answer {
  what: string;
  status: number | 'error' | 'timeout';
  ms: number;
  retryAfter: string | null;
  at: number;
  error?: string;
}

describe('the portal supervises its embedded database', function () {
  this.timeout(240_000);
  const heapMb = 640;
  const secret = randomBytes(24).toString('hex');
  let dataDir: string;
  let portal: SpawnedPortal | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-supervise-'));
    portal = await spawnPortal({
      DATA_DIR: dataDir,
      SEED_DEMO: 'false',
      HOST: '127.0.0.1',
      JOBS_ENABLED: 'false',
      SESSION_SECRET: secret,
      DEVDB_HEAP_MB: String(heapMb),
    });
  });

  after(async () => {
    const state = await engineState(dataDir);
    if (portal && portal.child.exitCode === null) await portal.signal('SIGTERM');
    if (state && isAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sizes the heap from the machine, or from DEVDB_HEAP_MB', async () => {
    const gb = 1024 ** 3;
    expect(engineHeapMb(undefined, 1 * gb)).to.equal(512);
    expect(engineHeapMb(undefined, 16 * gb)).to.equal(4096);
    expect(engineHeapMb(undefined, 256 * gb)).to.equal(8192);
    expect(engineHeapMb(2048, 256 * gb)).to.equal(2048);
    const state = await engineState(dataDir);
    expect(state, 'devdb.json').to.not.equal(null);
    const args = await engineCommandLine(state!.pid);
    expect(args.filter((a) => a.startsWith('-Xmx'))).to.deep.equal([`-Xmx${heapMb}m`]);
    expect(args).to.include('-XX:+ExitOnOutOfMemoryError');
  });

  it('restarts an engine killed with -9 on the same port; meanwhile 503 with Retry-After, never 500, never a hang', async () => {
    const url = portal!.url;
    const before = (await engineState(dataDir))!;
    const cookie = signedSessionCookie(`s-${randomBytes(12).toString('hex')}`, secret);
    const requests: Array<{ what: string; run: () => Promise<Reply> }> = [
      { what: 'GET /login (session cookie)', run: () => request(url, 'GET', '/login', { cookie }) },
      {
        what: 'POST /api/v1/tickets (bad token)',
        run: () =>
          request(
            url,
            'POST',
            '/api/v1/tickets',
            {
              authorization: `Bearer bdk_${randomBytes(32).toString('base64url')}`,
              'content-type': 'application/json',
            },
            JSON.stringify({ subject: 'x', body: 'y' }),
          ),
      },
    ];
    // Both kinds need the database: check they answer normally before the kill.
    for (const r of requests) {
      const res = await r.run();
      expect(res.status, r.what).to.be.oneOf([200, 401]);
    }

    const answers: Answer[] = [];
    let running = true;
    const client = async (r: (typeof requests)[number]): Promise<void> => {
      while (running) {
        const started = Date.now();
        let answer: Answer;
        try {
          const res = await r.run();
          answer = {
            what: r.what,
            status: res.status,
            ms: Date.now() - started,
            retryAfter: res.retryAfter,
            at: started,
          };
        } catch (err) {
          const status = (err as Error).name === 'TimeoutError' ? 'timeout' : 'error';
          answer = {
            what: r.what,
            status,
            ms: Date.now() - started,
            retryAfter: null,
            at: started,
            error: `${(err as Error).message} ${(err as NodeJS.ErrnoException).code ?? ''}`,
          };
        }
        answers.push(answer);
        await wait(100);
      }
    };
    const clients = [...requests, ...requests].map((r) => client(r));
    const readyz: Array<{ status: number; at: number }> = [];
    const probeReady = async (): Promise<number> => {
      const res = await request(url, 'GET', '/readyz', {});
      readyz.push({ status: res.status, at: Date.now() });
      return res.status;
    };

    await wait(1000);
    const killedAt = Date.now();
    process.kill(before.pid, 'SIGKILL');
    // A restart takes about a second, which requests mostly ride out by waiting for the server. To
    // see the outage answers, the port stays held for a while (as when a dying process still holds
    // it): connections to it are dropped, and the portal's restarts fail and back off meanwhile.
    const holder = await holdPort(before.port);
    note(`killed engine pid ${before.pid}; holding its port ${before.port} for ${HOLD_MS} ms`);
    const released = wait(HOLD_MS).then(() => new Promise<void>((r) => holder.close(() => r())));

    let sawDown = false;
    let after: EngineState | null = null;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = await probeReady().catch(() => 0);
      if (status === 503) sawDown = true;
      const healthz = await request(url, 'GET', '/healthz', {});
      expect(healthz.status, '/healthz while the engine is down').to.equal(200);
      if (sawDown && status === 200) {
        after = await engineState(dataDir);
        if (after && after.pid !== before.pid) break;
      }
      if (Date.now() > deadline)
        throw new Error(
          `no restart within 90 s; /readyz: ${JSON.stringify(readyz.slice(-5))}\n${portal!.output().slice(-3000)}`,
        );
      await wait(200);
    }
    await released;
    const backAfterMs = Date.now() - killedAt;
    for (const line of portal!
      .output()
      .split('\n')
      .filter((l) => l.includes('embedded engine:'))) {
      const { msg, time } = JSON.parse(line) as { msg: string; time: number };
      note(`+${time - killedAt} ms ${msg.slice(0, 160)}`);
    }
    // Requests go on a little after the restart: the driver reconnects by itself.
    await wait(3000);
    running = false;
    await Promise.all(clients);

    const during = answers.filter((a) => a.at >= killedAt);
    const byStatus = new Map<string, number>();
    for (const a of during) byStatus.set(`${a.status}`, (byStatus.get(`${a.status}`) ?? 0) + 1);
    const slowest = Math.max(...during.map((a) => a.ms));
    const slowest503 = Math.max(0, ...during.filter((a) => a.status === 503).map((a) => a.ms));
    note(
      `back after ${backAfterMs} ms (new pid ${after!.pid}, port ${after!.port}); ${during.length} requests after the kill: ` +
        `${[...byStatus].map(([s, n]) => `${s}: ${n}`).join(', ')}; slowest ${slowest} ms, slowest 503 ${slowest503} ms`,
    );

    if (process.env.SUPERVISION_TRACE)
      for (const a of during) note(`+${a.at - killedAt} ${a.what} ${a.status} ${a.ms} ms ${a.error ?? ''}`);
    expect(sawDown, '/readyz answered 503 while the engine was down').to.equal(true);
    expect(after!.pid).to.not.equal(before.pid);
    expect(after!.port, 'the same port').to.equal(before.port);
    expect(isAlive(before.pid)).to.equal(false);
    expect(isAlive(after!.pid)).to.equal(true);
    const failed = portal!
      .output()
      .split('\n')
      .filter((l) => l.includes('request failed') && !l.includes('"code":"unavailable"'))
      .map((l) => l.slice(0, 1500));
    expect(
      during.filter((a) => a.status === 500),
      `answers 500; the portal logged:\n${failed.join('\n')}`,
    ).to.deep.equal([]);
    expect(
      during.filter((a) => a.status === 'timeout' || a.ms > 10_000),
      'answers slower than 10 s',
    ).to.deep.equal([]);
    expect(
      during.filter((a) => a.status === 'error'),
      'broken connections',
    ).to.deep.equal([]);
    const unexpected = during.filter((a) => a.status !== 503 && a.status !== 200 && a.status !== 401);
    expect(unexpected, 'answers other than 200, 401 and 503').to.deep.equal([]);
    const refusals = during.filter((a) => a.status === 503);
    expect(refusals.length, 'requests answered 503 while the engine was down').to.be.greaterThan(0);
    expect(
      refusals.filter((a) => !a.retryAfter || !(Number(a.retryAfter) > 0)),
      '503 without Retry-After',
    ).to.deep.equal([]);
    for (const kind of requests) {
      expect(
        during.filter((a) => a.what === kind.what && a.status === 503).length,
        `${kind.what} answered 503 while down`,
      ).to.be.greaterThan(0);
    }

    // Working again: both kinds answer normally, the restarted engine has the configured heap.
    for (const r of requests) {
      const res = await r.run();
      expect(res.status, `${r.what} after the restart`).to.be.oneOf([200, 401]);
    }
    expect(await probeReady()).to.equal(200);
    expect((await engineCommandLine(after!.pid)).filter((a) => a.startsWith('-Xmx'))).to.deep.equal([
      `-Xmx${heapMb}m`,
    ]);
    const log = portal!.output();
    expect(log).to.match(/embedded engine: died \(signal SIGKILL\); restarting in \d+ ms/);
    expect(log, 'restarts failed while the port was held').to.match(
      /embedded engine: restart failed; trying again in \d+ ms/,
    );
    expect(log).to.match(new RegExp(`embedded engine: restarted on port ${before.port}`));
  });

  it('stop() on purpose does not restart the engine', async () => {
    const state = (await engineState(dataDir))!;
    const { code } = await portal!.signal('SIGTERM');
    expect(code).to.equal(0);
    await wait(2000);
    expect(isAlive(state.pid)).to.equal(false);
    expect(await engineState(dataDir), 'devdb.json removed, no engine started again').to.equal(null);
    expect(
      portal!.output().match(/embedded engine: died/g),
      'one death logged: the kill -9, not the stop',
    ).to.have.length(1);
  });
});
