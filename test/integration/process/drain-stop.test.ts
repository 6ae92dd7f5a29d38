import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fromRoot } from '../../../server/paths.js';
import { freePort, isAlive, spawnPortal } from '../../support/spawned-portal.js';

/**
 * Issue 13, item 6: SIGTERM (and SIGINT) under 20 keep-alive clients: requests in flight finish,
 * no request is cut, the portal exits 0 well within 10 s and its database stops.
 *
 * A request counts as cut when its connection broke after the server could have read it: a reset
 * on a fresh connection, or a response that did not arrive whole. A reset of a request written on
 * a reused keep-alive connection that the server was closing at that instant is the race every
 * HTTP client retries (Node's own documentation: `reusedSocket`), so it is counted apart.
 */
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`the portal stopped with ${signal} under load`, function () {
    this.timeout(180_000);
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'desk-drain-'));
    });
    after(() => rm(dataDir, { recursive: true, force: true }));

    it('finishes what is in flight, cuts nothing, exits 0 within 10 s and stops its database', async () => {
      const portal = await spawnPortal({ DATA_DIR: dataDir, SEED_DEMO: 'false', HOST: '127.0.0.1' });
      const { pid: enginePid } = JSON.parse(await readFile(join(dataDir, 'devdb.json'), 'utf8')) as {
        pid: number;
      };
      const url = new URL(portal.url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
      const counts = { ok: 0, refused: 0, cut: 0, reusedReset: 0, after: 0 };
      const cutWhy: string[] = [];
      let signalled = false;
      let running = true;
      const one = (): Promise<void> =>
        new Promise((resolve) => {
          const req = http.get({ host: url.hostname, port: url.port, path: '/login', agent }, (res) => {
            res.on('data', () => undefined);
            res.on('end', () => {
              if (res.complete) {
                counts.ok++;
                if (signalled) counts.after++;
              } else {
                counts.cut++;
                cutWhy.push(`incomplete ${res.statusCode}`);
              }
              resolve();
            });
            res.on('error', (err: NodeJS.ErrnoException) => {
              counts.cut++;
              cutWhy.push(`response ${err.code ?? err.message}`);
              resolve();
            });
          });
          req.on('error', (err: NodeJS.ErrnoException) => {
            if (err.code === 'ECONNREFUSED') counts.refused++;
            else if (req.reusedSocket && err.code === 'ECONNRESET') counts.reusedReset++;
            else {
              counts.cut++;
              cutWhy.push(`request ${err.code ?? err.message}${req.reusedSocket ? ' (reused)' : ''}`);
            }
            resolve();
          });
        });
      const client = async (): Promise<void> => {
        while (running) {
          await one();
          if (signalled && counts.refused > 0) await new Promise((r) => setTimeout(r, 50));
        }
      };
      const clients = Array.from({ length: 20 }, client);
      await new Promise((r) => setTimeout(r, 2000));
      signalled = true;
      const { code, ms } = await portal.signal(signal);
      running = false;
      await Promise.all(clients);
      agent.destroy();
      process.stdout.write(
        `      [drain] ${signal}: exit ${code} after ${ms} ms; ${counts.ok} answered (${counts.after} after the signal), ${counts.refused} refused, ${counts.reusedReset} keep-alive races, ${counts.cut} cut${cutWhy.length ? ` (${cutWhy.join(', ')})` : ''}\n`,
      );
      expect(code).to.equal(0);
      expect(ms).to.be.below(10_000);
      // Node's own server.close() destroyed idle connections whose request was already on the wire:
      // up to 9 fresh-connection resets per stop under load. server/http/graceful-close.ts reads them.
      expect(counts.cut, 'requests cut').to.equal(0);
      expect(counts.ok).to.be.above(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(isAlive(enginePid), 'the engine still runs').to.equal(false);
    });
  });
}

describe('npm start stopped with SIGTERM', function () {
  this.timeout(300_000);
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-npm-start-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('stops the portal and its database too, within 10 s', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      SEED_DEMO: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
    };
    delete env.MONGODB_URI;
    // What the README's run command starts: npm, which builds (prestart) and then runs node.
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: fromRoot(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
    npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 240_000;
    for (;;) {
      if (npm.exitCode !== null) throw new Error(`npm start exited early (${npm.exitCode}):\n${out}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`npm start not ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const { pid: enginePid } = JSON.parse(await readFile(join(dataDir, 'devdb.json'), 'utf8')) as {
      pid: number;
    };
    const portalPid = Number(
      execFileSync('pgrep', ['-P', String(npm.pid)])
        .toString()
        .trim()
        .split('\n')
        .pop(),
    );
    const started = Date.now();
    npm.kill('SIGTERM');
    await exited;
    // npm may answer the signal before its child has finished: wait for the portal and the engine.
    while ((isAlive(portalPid) || isAlive(enginePid)) && Date.now() - started < 15_000)
      await new Promise((r) => setTimeout(r, 50));
    const ms = Date.now() - started;
    process.stdout.write(`      [drain] npm start, SIGTERM: portal and engine gone after ${ms} ms\n`);
    expect(isAlive(portalPid), 'the portal still runs').to.equal(false);
    expect(isAlive(enginePid), 'the engine still runs').to.equal(false);
    expect(ms).to.be.below(10_000);
  });
});
