import { expect } from 'chai';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { AuditEvent } from '../../../models/audit-event.js';
import { User } from '../../../models/user.js';
import { makeCtx, type Actor, type Ctx, type PersonActor } from '../../../server/domain/context.js';
import { scopeFilter } from '../../../server/domain/tenants/scope.js';
import { AppError } from '../../../server/errors/app-error.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';

const log = pino({ level: 'silent' });

/** Resolves with the AppError the promise rejects with; fails if it resolves. */
async function rejection(work: PromiseLike<unknown>): Promise<AppError> {
  try {
    await work;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(AppError);
    return err as AppError;
  }
  expect.fail('expected the query to be refused');
}
const refusedForScope = async (work: PromiseLike<unknown>, what: string) =>
  expect((await rejection(work)).code, what).to.equal('tenant_scope_missing');

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  expect.fail('expected a throw');
}

describe('tenant scoping', () => {
  let world: World;
  let acme: Types.ObjectId;
  let nord: Types.ObjectId;

  before(async () => {
    await connectTestDb('tenant-scope');
    world = await makeWorld();
    acme = world.acme._id;
    nord = world.nord._id;
    await AuditEvent.create([
      { action: 'test.event', tenantId: acme },
      { action: 'test.event', tenantId: nord },
      { action: 'test.event', tenantId: null },
    ]);
  });
  after(() => dropAndDisconnect());

  describe('the model plugin', () => {
    it('refuses queries on scoped models without tenantId in the filter', async () => {
      const email = world.users.acmeUser.email;
      await refusedForScope(User.find({}), 'User.find({})');
      await refusedForScope(User.find(), 'User.find()');
      await refusedForScope(User.findOne({ email }), 'User.findOne by email');
      await refusedForScope(User.findById(world.users.acmeUser.id), 'User.findById');
      await refusedForScope(User.countDocuments({ role: 'client_user' }), 'User.countDocuments');
      await refusedForScope(User.distinct('email'), 'User.distinct');
      await refusedForScope(User.updateOne({ email }, { $set: { name: 'x' } }), 'User.updateOne');
      await refusedForScope(User.updateMany({}, { $set: { name: 'x' } }), 'User.updateMany');
      await refusedForScope(
        User.findOneAndUpdate({ email }, { $set: { name: 'x' } }),
        'User.findOneAndUpdate',
      );
      await refusedForScope(User.deleteMany({ role: 'client_user' }), 'User.deleteMany');
      await refusedForScope(User.deleteOne({ email }), 'User.deleteOne');
      await refusedForScope(AuditEvent.find({ action: 'test.event' }), 'AuditEvent.find');
      await refusedForScope(AuditEvent.countDocuments({}), 'AuditEvent.countDocuments');
      await refusedForScope(
        AuditEvent.findOneAndDelete({ action: 'test.event' }),
        'AuditEvent.findOneAndDelete',
      );
      // Nothing was changed by the refused writes.
      expect((await User.findOne({ email, tenantId: acme }).lean())?.name).to.equal(
        world.users.acmeUser.name,
      );
      expect(
        await AuditEvent.countDocuments({ action: 'test.event' }).setOptions({ allTenants: true }),
      ).to.equal(3);
    });

    it('does not accept a tenant filter that is only one branch of an $or, or undefined', async () => {
      await refusedForScope(User.find({ $or: [{ tenantId: acme }, { role: 'admin' }] }), '$or');
      await refusedForScope(User.find({ tenantId: undefined }), 'tenantId: undefined');
    });

    it('runs queries that name tenantId, at the top or inside $and', async () => {
      const acmeUsers = await User.find({ tenantId: acme }).lean();
      expect(acmeUsers.map((u) => u.email)).to.have.members([
        world.users.acmeAdmin.email,
        world.users.acmeUser.email,
      ]);
      expect(await User.countDocuments({ $and: [{ tenantId: nord }, { role: 'client_user' }] })).to.equal(1);
      expect(await User.countDocuments({ tenantId: null, role: 'operator' })).to.equal(2);
      expect(
        await AuditEvent.countDocuments({ tenantId: { $in: [acme, nord] }, action: 'test.event' }),
      ).to.equal(2);
      const updated = await User.updateOne(
        { tenantId: acme, email: world.users.acmeUser.email },
        { $set: { locale: 'en' } },
      );
      expect(updated.modifiedCount).to.equal(1);
    });

    it('runs queries that say out loud they cross tenants', async () => {
      expect(await User.countDocuments({}).setOptions({ allTenants: true })).to.equal(9);
      const user = await User.findById(world.users.nordUser.id).setOptions({ allTenants: true }).lean();
      expect(user?.email).to.equal(world.users.nordUser.email);
      expect(
        await AuditEvent.find({ action: 'test.event' }).setOptions({ allTenants: true }).lean(),
      ).to.have.length(3);
    });

    it('refuses an aggregate without a leading $match on tenantId', async () => {
      await refusedForScope(
        AuditEvent.aggregate([{ $group: { _id: '$action', n: { $sum: 1 } } }]),
        'no $match',
      );
      await refusedForScope(
        AuditEvent.aggregate([{ $match: { action: 'test.event' } }]),
        '$match without tenantId',
      );
      await refusedForScope(
        AuditEvent.aggregate([{ $group: { _id: '$tenantId', n: { $sum: 1 } } }, { $match: { _id: acme } }]),
        '$match on tenantId not leading',
      );
      await refusedForScope(
        User.aggregate([{ $match: { $or: [{ tenantId: acme }, { role: 'admin' }] } }]),
        'User $or',
      );
    });

    it('runs an aggregate that starts with a $match on tenantId', async () => {
      const rows = await AuditEvent.aggregate<{ _id: string; n: number }>([
        { $match: { tenantId: { $in: [acme, nord] } } },
        { $group: { _id: '$action', n: { $sum: 1 } } },
      ]);
      expect(rows).to.deep.include({ _id: 'test.event', n: 2 });
      const users = await User.aggregate<{ n: number }>([{ $match: { tenantId: nord } }, { $count: 'n' }]);
      expect(users).to.deep.equal([{ n: 2 }]);
    });
  });

  describe('scopeFilter()', () => {
    const ctx = (actor: Actor, tenantId: string | null = null): Ctx =>
      makeCtx({ actor, tenantId, requestId: 'test', log });
    const person = (role: PersonActor['role'], tenantId: string | null, tenantIds: string[]): Actor => ({
      kind: 'user',
      userId: new Types.ObjectId().toHexString(),
      email: `${role}@example.test`,
      name: role,
      role,
      tenantId,
      tenantIds,
      locale: 'en',
    });
    const A = () => String(acme);
    const B = () => String(nord);
    const ids = (f: ReturnType<typeof scopeFilter>) => {
      const value = f.tenantId as unknown;
      if (value instanceof Types.ObjectId) return String(value);
      if (value && typeof value === 'object' && '$in' in value)
        return (value.$in as Types.ObjectId[]).map(String);
      return value;
    };

    it('gives a client their own tenant only', async () => {
      const client = person('client_user', A(), [A()]);
      expect(ids(scopeFilter(ctx(client, A())))).to.equal(A());
      expect(ids(scopeFilter(ctx(client)))).to.deep.equal([A()]);
      const theirs = await User.find({ ...scopeFilter(ctx(client, A())) }).lean();
      expect(theirs.length).to.equal(2);
      expect(theirs.every((u) => String(u.tenantId) === A())).to.equal(true);
    });

    it('gives staff the tenants they serve', () => {
      const both = person('operator', null, [A(), B()]);
      expect(ids(scopeFilter(ctx(both)))).to.deep.equal([A(), B()]);
      expect(ids(scopeFilter(ctx(both, B())))).to.equal(B());
      const acmeOnly = person('operator', null, [A()]);
      expect(ids(scopeFilter(ctx(acmeOnly)))).to.deep.equal([A()]);
      expect(ids(scopeFilter(ctx(person('account_manager', null, []))))).to.deep.equal([]);
    });

    it('gives an administrator every tenant, or the one they chose', () => {
      const admin = person('admin', null, []);
      expect(scopeFilter(ctx(admin))).to.deep.equal({ tenantId: { $ne: null } });
      expect(ids(scopeFilter(ctx(admin, B())))).to.equal(B());
    });

    it('gives anonymous callers nothing and an API token its tenant', () => {
      expect(ids(scopeFilter(ctx({ kind: 'anonymous' })))).to.deep.equal([]);
      const api: Actor = {
        kind: 'api',
        tokenId: 't1',
        tenantId: B(),
        name: 'erp',
        userId: String(world.users.nordAdmin.id),
        email: 'x@example.test',
        locale: 'da',
      };
      expect(ids(scopeFilter(ctx(api)))).to.deep.equal([B()]);
      expect(thrown(() => scopeFilter(ctx(api, A()))).code).to.equal('not_found');
    });

    it('reads a foreign ctx.tenantId as not found', () => {
      expect(thrown(() => scopeFilter(ctx(person('client_admin', A(), [A()]), B()))).code).to.equal(
        'not_found',
      );
      expect(thrown(() => scopeFilter(ctx(person('operator', null, [A()]), B()))).code).to.equal('not_found');
      expect(thrown(() => scopeFilter(ctx(person('admin', null, []), 'not-an-id'))).code).to.equal(
        'not_found',
      );
      expect(thrown(() => scopeFilter(ctx({ kind: 'anonymous' }, A()))).code).to.equal('not_found');
    });
  });
});
