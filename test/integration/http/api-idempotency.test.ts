import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { IdempotencyKey } from '../../../models/idempotency-key.js';
import { Ticket } from '../../../models/ticket.js';
import { purgeExpired } from '../../../server/domain/housekeeping/purge-expired.js';
import { systemCtx } from '../../../server/domain/context.js';
import { requestHashOf } from '../../../server/http/api/idempotency.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

describe('REST API: Idempotency-Key on opening tickets', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: ReturnType<typeof apiClient>;
  let nord: ReturnType<typeof apiClient>;

  before(async () => {
    tp = await startTestPortal('api-idempotency');
    world = await makeWorld();
    acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    nord = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
  });
  after(() => tp?.stop());

  const ticketsWithSubject = (subject: string): Promise<number> =>
    Ticket.countDocuments({ tenantId: { $in: [world.acme._id, world.nord._id] }, subject });

  it('replays the first answer to a sequential retry: same id and number, 201, Idempotent-Replayed', async () => {
    const key = randomUUID();
    const body = bodies.complaint({ subject: 'Sequential retry' });
    const first = await acme.post('/tickets').set('Idempotency-Key', key).send(body).expect(201);
    expect(first.headers['idempotent-replayed']).to.equal(undefined);
    for (let i = 0; i < 3; i++) {
      const again = await acme.post('/tickets').set('Idempotency-Key', key).send(body).expect(201);
      expect(again.headers['idempotent-replayed']).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers.location).to.equal(first.headers.location);
    }
    // Key order in the JSON does not make it another request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const same = await acme.post('/tickets').set('Idempotency-Key', key).send(reordered).expect(201);
    expect(same.body.id).to.equal(first.body.id);
    expect(await ticketsWithSubject('Sequential retry')).to.equal(1);
  });

  it('makes exactly one ticket from many concurrent requests with the same key', async () => {
    const key = randomUUID();
    const body = bodies.invoice({ invoiceNumber: 'CONC-1' });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => acme.post('/tickets').set('Idempotency-Key', key).send(body)),
    );
    const statuses = results.map((r) => r.status);
    expect(
      statuses.every((s) => s === 201 || s === 409),
      statuses.join(','),
    ).to.equal(true);
    const created = results.filter((r) => r.status === 201);
    expect(new Set(created.map((r) => r.body.id)).size).to.equal(1);
    expect(created.filter((r) => r.headers['idempotent-replayed'] !== 'true')).to.have.length(1);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.error.code).to.equal('conflict');
      expect(r.headers['retry-after']).to.equal('1');
    }
    // After the dust settles every retry gets the one ticket.
    const after = await acme.post('/tickets').set('Idempotency-Key', key).send(body).expect(201);
    expect(after.body.id).to.equal(created[0]?.body.id);
    expect(
      await Ticket.countDocuments({ tenantId: world.acme._id, 'fields.invoiceNumber': 'CONC-1' }),
    ).to.equal(1);
  });

  it('refuses the same key with a different body (422), and answers 409 while the first is still running', async () => {
    const key = randomUUID();
    await acme
      .post('/tickets')
      .set('Idempotency-Key', key)
      .send(bodies.dataEntry({ subject: 'Original body' }))
      .expect(201);
    const res = await acme
      .post('/tickets')
      .set('Idempotency-Key', key)
      .send(bodies.dataEntry({ subject: 'Changed body' }))
      .expect(422);
    expect(res.body.error.code).to.equal('validation');
    expect(res.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['Idempotency-Key']);
    expect(await ticketsWithSubject('Changed body')).to.equal(0);

    const running = randomUUID();
    const body = bodies.dataEntry({ subject: 'Still running' });
    // A pending row of the same request, as the first request leaves it while it runs.
    const hash = requestHashOf({ method: 'POST', baseUrl: '/api/v1', path: '/tickets', body } as never);
    await IdempotencyKey.create({
      tenantId: world.nord._id,
      key: running,
      requestHash: hash,
      lockedUntil: new Date(Date.now() + 60_000),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const busy = await nord.post('/tickets').set('Idempotency-Key', running).send(body).expect(409);
    expect(busy.body.error.code).to.equal('conflict');
    expect(busy.headers['retry-after']).to.equal('1');
    // Keys are per company: Acme's request with the same key is not affected.
    await acme.post('/tickets').set('Idempotency-Key', running).send(body).expect(201);
  });

  it('stores a refusal too, takes over a key whose request died, and forgets keys after 24 hours', async () => {
    const key = randomUUID();
    const invalid = bodies.complaint({ priority: 'whenever' });
    const refused = await acme.post('/tickets').set('Idempotency-Key', key).send(invalid).expect(422);
    const replayed = await acme.post('/tickets').set('Idempotency-Key', key).send(invalid).expect(422);
    expect(replayed.headers['idempotent-replayed']).to.equal('true');
    expect(replayed.body).to.deep.equal(refused.body);

    // A pending key whose request died long ago is taken over by the retry.
    const stale = randomUUID();
    const body = bodies.dataEntry({ subject: 'Taken over' });
    const hash = requestHashOf({ method: 'POST', baseUrl: '/api/v1', path: '/tickets', body } as never);
    await IdempotencyKey.create({
      tenantId: world.acme._id,
      key: stale,
      requestHash: hash,
      lockedUntil: new Date(Date.now() - 1000),
      expiresAt: new Date(Date.now() + 60_000),
    });
    await acme.post('/tickets').set('Idempotency-Key', stale).send(body).expect(201);
    expect(await ticketsWithSubject('Taken over')).to.equal(1);

    // An expired key is a new key: it runs again (and the purge deletes expired rows).
    const old = randomUUID();
    const oldBody = bodies.dataEntry({ subject: 'Expired key' });
    const before = await acme.post('/tickets').set('Idempotency-Key', old).send(oldBody).expect(201);
    await IdempotencyKey.updateOne(
      { tenantId: world.acme._id, key: old },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const rerun = await acme.post('/tickets').set('Idempotency-Key', old).send(oldBody).expect(201);
    expect(rerun.headers['idempotent-replayed']).to.equal(undefined);
    expect(rerun.body.id).to.not.equal(before.body.id);
    await IdempotencyKey.updateOne(
      { tenantId: world.acme._id, key: old },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const removed = await purgeExpired(systemCtx(pino({ level: 'silent' })));
    expect(removed.idempotencyKeys).to.be.at.least(1);
    expect(await IdempotencyKey.countDocuments({ tenantId: world.acme._id, key: old })).to.equal(0);

    const badKey = await acme
      .post('/tickets')
      .set('Idempotency-Key', 'x'.repeat(300))
      .send(oldBody)
      .expect(422);
    expect(badKey.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['Idempotency-Key']);
  });

  it('answers a retry with the ticket an earlier attempt stored though its answer was lost, and never makes a second one', async () => {
    const key = randomUUID();
    const body = bodies.complaint({ subject: 'Answer lost' });
    const first = await acme.post('/tickets').set('Idempotency-Key', key).send(body).expect(201);
    // As a database killed after the ticket's insert leaves the key: pending, its lock held, no answer.
    await IdempotencyKey.updateOne(
      { tenantId: world.acme._id, key },
      { $set: { state: 'pending', response: null, lockedUntil: new Date(Date.now() + 60_000) } },
    );
    const retry = await acme.post('/tickets').set('Idempotency-Key', key).send(body).expect(201);
    expect(retry.headers['idempotent-replayed']).to.equal('true');
    expect(retry.body.id).to.equal(first.body.id);
    expect(retry.headers.location).to.equal(first.headers.location);
    expect(await ticketsWithSubject('Answer lost')).to.equal(1);
    // The key now holds the answer.
    const row = await IdempotencyKey.findOne({ tenantId: world.acme._id, key }).lean();
    expect(row?.state).to.equal('done');
  });

  it('runs a retry at once under the bound id when the earlier attempt failed before storing the ticket', async () => {
    const key = randomUUID();
    const body = bodies.complaint({ subject: 'Failed before the insert' });
    const hash = requestHashOf({ method: 'POST', baseUrl: '/api/v1', path: '/tickets', body } as never);
    const bound = new Types.ObjectId();
    // A failed attempt gives its lock up (unlockIdempotencyKey): the retry is not told to wait.
    await IdempotencyKey.create({
      tenantId: world.acme._id,
      key,
      requestHash: hash,
      resourceId: bound,
      lockedUntil: new Date(0),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const retry = await acme.post('/tickets').set('Idempotency-Key', key).send(body).expect(201);
    expect(retry.body.id).to.equal(String(bound));
    expect(retry.headers['idempotent-replayed']).to.equal(undefined);
    // Two more attempts under the same key, one of them racing a "still running" first: one ticket.
    await IdempotencyKey.updateOne(
      { tenantId: world.acme._id, key },
      { $set: { state: 'pending', response: null, lockedUntil: new Date(0) } },
    );
    const again = await Promise.all(
      [1, 2].map(() => acme.post('/tickets').set('Idempotency-Key', key).send(body)),
    );
    for (const r of again) {
      expect([201, 409]).to.include(r.status);
      if (r.status === 201) expect(r.body.id).to.equal(String(bound));
    }
    expect(await ticketsWithSubject('Failed before the insert')).to.equal(1);
  });
});
