import { expect } from 'chai';
import type { Types } from 'mongoose';
import { pino } from 'pino';
import { AuditEvent } from '../../../models/audit-event.js';
import { signOut } from '../../../server/domain/auth/sign-out.js';
import { makeCtx } from '../../../server/domain/context.js';
import { domainEvents } from '../../../server/domain/events.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue 15, item 6: sign-out is a domain operation like sign-in (audited, then announced). */
describe('signOut (domain operation)', () => {
  let world: World;
  const steps: string[] = [];
  let stopListening: () => void;
  before(async () => {
    await connectTestDb('sign-out');
    world = await makeWorld();
    stopListening = domainEvents.on('user.sessions_revoked', (e) => steps.push(`revoked ${e.userId}`));
  });
  beforeEach(() => {
    steps.length = 0;
  });
  after(async () => {
    stopListening();
    await dropAndDisconnect();
  });

  const endSession = async () => {
    steps.push('session ended');
  };
  const signOutsOf = (userId: Types.ObjectId) =>
    AuditEvent.find({ action: 'auth.sign_out', targetId: userId }).setOptions({ allTenants: true }).lean();

  it('audits a client user in their tenant, ends the session, then drops their sockets', async () => {
    const user = world.users.acmeUser;
    await signOut(ctxOf(user, world.acme), endSession);
    expect(steps).to.deep.equal(['session ended', `revoked ${String(user._id)}`]);
    const rows = await signOutsOf(user._id);
    expect(rows).to.have.length(1);
    expect(String(rows[0]?.tenantId)).to.equal(String(world.acme._id));
    expect(String(rows[0]?.actorId)).to.equal(String(user._id));
    expect(rows[0]?.requestId).to.equal('test');
  });

  it('audits a staff member with no tenant', async () => {
    const user = world.users.operatorBoth;
    await signOut(ctxOf(user, null), endSession);
    const rows = await signOutsOf(user._id);
    expect(rows).to.have.length(1);
    expect(rows[0]?.tenantId).to.equal(null);
    expect(steps).to.deep.equal(['session ended', `revoked ${String(user._id)}`]);
  });

  it('without a signed-in person only ends the session: nothing audited, nobody revoked', async () => {
    const before = await AuditEvent.countDocuments({ action: 'auth.sign_out' }).setOptions({
      allTenants: true,
    });
    await signOut(
      makeCtx({
        tenantId: null,
        actor: { kind: 'anonymous' },
        requestId: 'anon',
        log: pino({ level: 'silent' }),
      }),
      endSession,
    );
    expect(steps).to.deep.equal(['session ended']);
    expect(
      await AuditEvent.countDocuments({ action: 'auth.sign_out' }).setOptions({ allTenants: true }),
    ).to.equal(before);
  });

  it('when the session cannot be ended, the sockets are not told to go', async () => {
    const user = world.users.nordUser;
    const failure = await signOut(ctxOf(user, world.nord), () =>
      Promise.reject(new Error('store down')),
    ).catch((e: unknown) => e as Error);
    expect(failure).to.be.instanceOf(Error);
    expect(steps).to.deep.equal([]);
  });
});
