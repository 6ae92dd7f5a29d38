import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../server/config/config.js';
import { capacityNotice, EMBEDDED_CAPACITY_TICKETS } from '../../../server/domain/tickets/capacity.js';
import { DEMO_PASSWORD } from '../../../server/seed/demo-data.js';
import { signedInAgent } from '../../support/browser-session.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { spawnPortal } from '../../support/spawned-portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/**
 * The embedded database knows its size: past 80 % of EMBEDDED_CAPACITY_TICKETS the portal logs a
 * warning pointing to MongoDB, and admins (only they) see it on their home page.
 */
describe('embedded database capacity warning', function () {
  this.timeout(240_000);

  it('logs it at start and shows it on the admin home only, with the embedded engine past 80 %', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'desk-capacity-'));
    // The demo seeds a few dozen tickets: a capacity of 10 is far past its 80 %.
    const portal = await spawnPortal({
      DATA_DIR: dataDir,
      SEED_DEMO: 'true',
      JOBS_ENABLED: 'true',
      EMBEDDED_CAPACITY_TICKETS: '10',
    });
    try {
      expect(portal.output()).to.match(
        /embedded database at \d+ % of its capacity \(\d+ of 10 tickets\): move to MongoDB/,
      );
      const admin = await signedInAgent(portal.url, 'admin@desk.example', DEMO_PASSWORD);
      const home = await admin.get('/').expect(200);
      expect(home.text)
        .to.include('data-testid="capacity-warning"')
        .and.include('move to MongoDB')
        .and.include('Production: real MongoDB, several nodes');
      const operator = await signedInAgent(portal.url, 'marco@desk.example', DEMO_PASSWORD);
      expect((await operator.get('/').expect(200)).text).to.not.include('capacity-warning');
    } finally {
      const stopped = await portal.signal('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
      expect(stopped.code).to.equal(0);
    }
  });

  describe('the rule', () => {
    let world: World;
    before(async () => {
      await connectTestDb('capacity');
      world = await makeWorld();
      await makeTicket(world.users.acmeUser, world.acme, 'Counted');
    });
    after(() => dropAndDisconnect());

    it('warns from 80 % of the capacity, never with MongoDB, and only admins', async () => {
      const admin = ctxOf(world.users.admin, null);
      expect(await capacityNotice(admin, 1)).to.deep.equal({ tickets: 1, capacity: 1, percent: 100 });
      expect(await capacityNotice(admin, 2)).to.equal(null);
      expect(await capacityNotice(admin, null)).to.equal(null);
      expect(await capacityNotice(ctxOf(world.users.operatorBoth, null), 1)).to.equal(null);
    });

    it('takes the documented capacity by default, and none with MONGODB_URI', () => {
      expect(loadConfig({}).embeddedCapacityTickets).to.equal(EMBEDDED_CAPACITY_TICKETS);
      expect(loadConfig({ EMBEDDED_CAPACITY_TICKETS: '500' }).embeddedCapacityTickets).to.equal(500);
      expect(loadConfig({ MONGODB_URI: 'mongodb://db/desk' }).embeddedCapacityTickets).to.equal(null);
    });
  });
});
