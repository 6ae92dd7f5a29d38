import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { DEMO_PASSWORD } from '../../../server/seed/demo-data.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { isAlive, spawnPortal } from '../../support/spawned-portal.js';

/**
 * `npm start` without MONGODB_URI: the portal starts the embedded engine (H2 under DATA_DIR),
 * seeds the demo data, keeps what was written across a restart, and on SIGTERM exits 0 within
 * 10 s leaving no engine behind.
 */
describe('portal process with the embedded database', function () {
  this.timeout(240_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-life-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('seeds, persists across a restart and shuts down cleanly', async () => {
    const first = await spawnPortal({ DATA_DIR: dataDir });
    const state = JSON.parse(await readFile(join(dataDir, 'devdb.json'), 'utf8')) as { pid: number };
    expect(isAlive(state.pid)).to.equal(true);

    const admin = await signedInAgent(first.url, 'admin@desk.example', DEMO_PASSWORD);
    const created = await postForm(admin, '/admin/tenants/new', '/admin/tenants', {
      code: 'lifecycle',
      legalName: 'Lifecycle Test ApS',
      timeZone: 'Europe/Copenhagen',
      locale: 'da',
    });
    expect(created.status, first.output()).to.equal(302);

    const stopped = await first.signal('SIGTERM');
    expect(stopped.code).to.equal(0);
    expect(stopped.ms).to.be.lessThan(10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(isAlive(state.pid), 'engine left running').to.equal(false);

    const second = await spawnPortal({ DATA_DIR: dataDir });
    try {
      const again = await signedInAgent(second.url, 'admin@desk.example', DEMO_PASSWORD);
      const list = await again.get('/admin/tenants').expect(200);
      expect(list.text).to.include('Lifecycle Test ApS').and.include('Acme Logistica S.p.A.');
      await supertest(second.url).get('/login').expect(200);
    } finally {
      const stoppedAgain = await second.signal('SIGTERM');
      expect(stoppedAgain.code).to.equal(0);
    }
  });
});
