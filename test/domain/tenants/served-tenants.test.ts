import { expect } from 'chai';
import { pino } from 'pino';
import type { Role } from '../../../models/user.js';
import { makeCtx, type Ctx } from '../../../server/domain/context.js';
import { servedTenantIds } from '../../../server/domain/tenants/tenants.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeTenant, makeWorld, type World } from '../../support/factories.js';

const log = pino({ level: 'silent' });

/** The context a staff member's socket gets (server/realtime/context.ts builds the same actor). */
const staffCtx = (role: Role, tenantIds: string[]): Ctx =>
  makeCtx({
    tenantId: null,
    actor: {
      kind: 'user',
      userId: 'u1',
      email: 'x@example.test',
      name: 'x',
      role,
      tenantId: null,
      tenantIds,
      locale: 'en',
    },
    requestId: 'test',
    log,
    ip: null,
  });

describe('the tenants a staff socket serves come from the tenant scope (servedTenantIds)', () => {
  let world: World;

  before(async () => {
    await connectTestDb('served-tenants');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  it('an admin serves every tenant, also one created after the profile was read', async () => {
    const later = await makeTenant();
    const ids = await servedTenantIds(staffCtx('admin', []));
    expect(ids).to.have.members([world.acme.id as string, world.nord.id as string, later.id as string]);
  });

  it('other staff serve exactly the tenants on their profile', async () => {
    expect(await servedTenantIds(staffCtx('operator', [world.acme.id as string]))).to.deep.equal([
      world.acme.id,
    ]);
    expect(
      await servedTenantIds(staffCtx('team_lead', [world.acme.id as string, world.nord.id as string])),
    ).to.have.members([world.acme.id, world.nord.id]);
  });
});
