import { expect } from 'chai';
import { ApiToken } from '../../models/api-token.js';
import { Provider } from '../../models/provider.js';
import { SlaCalendar } from '../../models/sla-calendar.js';
import { Tenant } from '../../models/tenant.js';
import { resetCaches } from '../../server/domain/caches.js';
import { calendarOf } from '../../server/domain/sla/contract-store.js';
import { authenticateApiToken } from '../../server/domain/tenants/api-tokens.js';
import { cachedProvider } from '../../server/domain/provider.js';
import { cachedTenant } from '../../server/domain/tenants/cache.js';
import { tokenOf } from '../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../support/db.js';
import { makeWorld, type World } from '../support/factories.js';

/** Issue 15, item 7: one reset forgets every module-level cache of database reads. */
describe('resetCaches()', () => {
  let world: World;
  before(async () => {
    await connectTestDb('caches');
    world = await makeWorld();
    resetCaches();
  });
  after(dropAndDisconnect);

  it('after a write behind the domain, the next reads of tenants, the provider and calendars are fresh', async () => {
    const acmeId = String(world.acme._id);
    const name = (await cachedTenant(acmeId))?.legalName;
    const zone = (await cachedProvider())?.timeZone;
    expect(await calendarOf(acmeId)).to.equal(null);

    await Tenant.updateOne({ _id: world.acme._id }, { $set: { legalName: 'Acme Renamed S.p.A.' } });
    await Provider.updateOne({ key: 'provider' }, { $set: { timeZone: 'Asia/Tokyo' } });
    await SlaCalendar.create({
      tenantId: world.acme._id,
      name: 'Always',
      timeZone: 'Europe/Rome',
      alwaysOpen: true,
      weekly: [],
      holidays: [],
      closures: [],
    });
    // Still what was read before: these are the caches the reset is for.
    expect((await cachedTenant(acmeId))?.legalName).to.equal(name);
    expect((await cachedProvider())?.timeZone).to.equal(zone);
    expect(await calendarOf(acmeId)).to.equal(null);

    resetCaches();
    expect((await cachedTenant(acmeId))?.legalName).to.equal('Acme Renamed S.p.A.');
    expect((await cachedProvider())?.timeZone).to.equal('Asia/Tokyo');
    expect((await calendarOf(acmeId))?.timeZone).to.equal('Europe/Rome');
  });

  it('forgets accepted API tokens: one revoked behind the domain is refused at once', async () => {
    const { token, id } = await tokenOf(world.users.acmeAdmin);
    expect((await authenticateApiToken(token)).tokenId).to.equal(id);
    await ApiToken.updateOne({ _id: id, tenantId: world.acme._id }, { $set: { revokedAt: new Date() } });
    resetCaches();
    const refused = await authenticateApiToken(token).catch((e: unknown) => e as { code?: string });
    expect(refused).to.have.property('code', 'unauthenticated');
  });
});
