import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../../server/db/embedded-engine.js';
import { isAlive, spawnPortal, type SpawnedPortal } from '../../support/spawned-portal.js';

/**
 * Issue 13, item 2, with MONGODB_URI: the portal does not own the database, so nothing restarts it;
 * while it is unreachable requests that need it answer 503 with Retry-After (never 500, never a
 * hang), /readyz says 503, and once it is back the driver's own reconnection serves again.
 */
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method: 'GET', headers, agent: false, timeout: 12_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 12 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('the portal on MONGODB_URI while the database is unreachable', function () {
  this.timeout(180_000);
  const log = pino({ level: 'silent' });
  let dataDir: string;
  let engine: EmbeddedEngine | undefined;
  let portal: SpawnedPortal | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-uri-outage-'));
    engine = await startEmbeddedEngine({ backend: 'h2', dataDir, log, dbName: 'outage', supervise: false });
    portal = await spawnPortal({
      MONGODB_URI: engine.uri,
      SEED_DEMO: 'false',
      HOST: '127.0.0.1',
      JOBS_ENABLED: 'false',
    });
  });
  after(async () => {
    if (portal && portal.child.exitCode === null) await portal.signal('SIGTERM');
    await engine?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After meanwhile, never 500 or a hang, and serves again once it is back', async () => {
    const url = portal!.url;
    const token = { authorization: `Bearer bdk_${randomBytes(32).toString('base64url')}` };
    expect((await request(url, '/api/v1/tickets', token)).status, 'a token lookup before').to.equal(401);
    const { pid, port } = JSON.parse(await readFile(join(dataDir, 'devdb.json'), 'utf8')) as {
      pid: number;
      port: number;
    };
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await wait(20);

    const answers: Array<{ status: number | string; ms: number; retryAfter: string | null }> = [];
    const until = Date.now() + 8000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          const started = Date.now();
          const res = await request(url, '/api/v1/tickets', token).catch((err: Error) => ({
            status: err.message,
            retryAfter: null,
          }));
          answers.push({ status: res.status, ms: Date.now() - started, retryAfter: res.retryAfter });
          await wait(200);
        }
      }),
    );
    const readyDown = await request(url, '/readyz');
    const summary = answers.reduce<Record<string, number>>(
      (acc, a) => ({ ...acc, [String(a.status)]: (acc[String(a.status)] ?? 0) + 1 }),
      {},
    );
    process.stdout.write(
      `      [uri-outage] ${answers.length} requests while down: ${JSON.stringify(summary)}; slowest ${Math.max(...answers.map((a) => a.ms))} ms\n`,
    );
    expect(
      answers.filter((a) => a.status !== 503),
      'answers other than 503 while down',
    ).to.deep.equal([]);
    expect(
      answers.every((a) => a.retryAfter === '5'),
      'Retry-After on every 503',
    ).to.equal(true);
    expect(Math.max(...answers.map((a) => a.ms)), 'slowest answer').to.be.below(10_000);
    expect(readyDown.status).to.equal(503);

    // Back on the same port (as a restarted MongoDB would be): the driver finds it by itself.
    engine = await startEmbeddedEngine({
      backend: 'h2',
      dataDir,
      log,
      dbName: 'outage',
      supervise: false,
      port,
    });
    const backBy = Date.now() + 60_000;
    let ready = 0;
    while (Date.now() < backBy && ready !== 200) {
      ready = (await request(url, '/readyz').catch(() => ({ status: 0 }))).status;
      if (ready !== 200) await wait(250);
    }
    expect(ready, '/readyz once the database is back').to.equal(200);
    expect((await request(url, '/api/v1/tickets', token)).status, 'a token lookup after').to.equal(401);
  });
});
