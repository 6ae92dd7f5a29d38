import { expect } from 'chai';
import { pino } from 'pino';
import { attemptHistory } from '../../../server/domain/webhooks/list-attempts.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { deliverDueWebhooks, deliveryPolicy } from '../../../server/domain/webhooks/deliver.js';
import { freshCount } from '../../../server/domain/webhooks/fresh-events.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';

const sys = (name: string) => systemCtx(pino({ level: 'silent' }), name);

/**
 * Issue 19, item 3 (delivery speed, bench:webhooks): a run leases each endpoint it sends to (one
 * conditional update on the endpoint row) instead of claiming each event, and writes each event
 * once after its attempt, by its unique `{ _id, status, claimedBy }` key; successes are recorded
 * behind the next request. What must still hold: workers running at once send each event once; a
 * run never sends an endpoint another run holds, nor an event delivered or held by a per-event
 * claim of before; an expired lease is taken over (same webhook-id); a run returns only once what
 * it delivered is recorded, and gives its leases back.
 */
describe('webhook delivery claims (several workers, recorded behind the requests)', function () {
  this.timeout(60_000);
  let world: World;
  const receiver = new WebhookReceiver();
  before(async () => {
    await connectTestDb('webhook-claims');
    world = await makeWorld();
    await receiver.start();
    configureWebhooks({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
  });
  after(async () => {
    await receiver.stop();
    configureWebhooks({ allowHosts: [], timeoutMs: 10_000 });
    await dropAndDisconnect();
  });

  it('four workers at once: every event sent once, delivered and recorded when they return', async () => {
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url('/many'),
      description: 'many',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    for (let i = 0; i < 40; i++) await makeTicket(world.users.acmeUser, world.acme, `Many ${i}`);
    await sweepMissedWebhookEvents(sys('sweep'));
    receiver.delayMs = 5;
    const results = await Promise.all(
      [0, 1, 2, 3].map((w) => deliverDueWebhooks(sys(`worker-${w}`), { limit: 15 })),
    );
    await deliverDueWebhooks(sys('worker-last'));
    receiver.delayMs = 0;
    const events = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(events).to.have.length(40);
    expect(events.every((e) => e.status === 'delivered' && e.claimedBy === null)).to.equal(true);
    const ids = receiver.received.filter((r) => r.path === '/many').map((r) => r.headers['webhook-id']);
    expect(ids).to.have.length(40);
    expect(new Set(ids).size).to.equal(40);
    expect(results.reduce((n, r) => n + r.delivered, 0)).to.be.at.most(40);
    const attempts = await attemptHistory({ endpointId: ep.id });
    expect(attempts).to.have.length(40);
    expect(attempts.every((a) => a.ok)).to.equal(true);
  });

  it('takes no event another run holds or that is delivered; takes over an expired lease', async () => {
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url('/held'),
      description: 'held',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    for (let i = 0; i < 3; i++) await makeTicket(world.users.acmeUser, world.acme, `Held ${i}`);
    await sweepMissedWebhookEvents(sys('sweep'));
    const [held, done, expired] = await WebhookEvent.find({ endpointId: ep.id })
      .setOptions({ allTenants: true })
      .sort({ _id: 1 })
      .lean();
    const now = Date.now();
    await WebhookEvent.updateOne(
      { _id: held?._id, tenantId: world.acme._id },
      {
        $set: {
          status: 'delivering',
          claimedBy: 'another-run',
          leaseUntil: new Date(now + 60_000),
          attempts: 1,
        },
      },
    );
    await WebhookEvent.updateOne(
      { _id: done?._id, tenantId: world.acme._id },
      { $set: { status: 'delivered', deliveredAt: new Date(now) } },
    );
    await WebhookEvent.updateOne(
      { _id: expired?._id, tenantId: world.acme._id },
      {
        $set: { status: 'delivering', claimedBy: 'dead-run', leaseUntil: new Date(now - 1000), attempts: 1 },
      },
    );
    // Those claims and that delivery were other runs' (their lease token on the endpoint since): the
    // events this process wrote are not sent from its hand-over (fresh-events.ts) but as read.
    await WebhookEndpoint.updateOne(
      { _id: ep.id, tenantId: world.acme._id },
      { $set: { leaseToken: 'another-node', leaseUntil: null } },
    );
    await deliverDueWebhooks(sys('taker'));
    const sent = receiver.received.filter((x) => x.path === '/held').map((x) => x.headers['webhook-id']);
    expect(sent).to.deep.equal([expired?.msgId]);
    const after = await WebhookEvent.find({ endpointId: ep.id })
      .setOptions({ allTenants: true })
      .sort({ _id: 1 })
      .lean();
    expect(after.map((e) => [e.status, e.claimedBy])).to.deep.equal([
      ['delivering', 'another-run'],
      ['delivered', null],
      ['delivered', null],
    ]);
    expect(after[2]?.attempts).to.equal(2);
  });

  it('leaves an endpoint another run holds alone until its lease runs out, then sends each event once', async () => {
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url('/leased'),
      description: 'leased',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    for (let i = 0; i < 3; i++) await makeTicket(world.users.acmeUser, world.acme, `Leased ${i}`);
    await sweepMissedWebhookEvents(sys('sweep'));
    const t = Date.now();
    // A run on another node took the endpoint and died (kill -9) before writing anything.
    await WebhookEndpoint.updateOne(
      { _id: ep.id, tenantId: world.acme._id },
      { $set: { leaseToken: 'dead-run', leaseUntil: new Date(t + 60_000) } },
    );
    await deliverDueWebhooks(sys('early'), { now: () => new Date(t + 1000) });
    expect(receiver.received.filter((r) => r.path === '/leased')).to.have.length(0);
    const untouched = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(untouched.map((e) => [e.status, e.attempts])).to.deep.equal([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);

    await deliverDueWebhooks(sys('late'), { now: () => new Date(t + 61_000) });
    const ids = receiver.received.filter((r) => r.path === '/leased').map((r) => r.headers['webhook-id']);
    expect([...ids].sort()).to.deep.equal(untouched.map((e) => e.msgId).sort());
    const after = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(after.every((e) => e.status === 'delivered' && e.attempts === 1)).to.equal(true);
    const row = await WebhookEndpoint.findOne({ _id: ep.id, tenantId: world.acme._id }).lean();
    expect(row?.leaseToken).to.be.a('string').and.not.equal('dead-run');
    expect(row?.leaseUntil, 'the taker gave the endpoint back').to.equal(null);
    // Nothing due any more: the next run sends nothing again.
    await deliverDueWebhooks(sys('again'), { now: () => new Date(t + 62_000) });
    expect(receiver.received.filter((r) => r.path === '/leased')).to.have.length(3);
  });

  it('two workers on one node: each endpoint held by one run at a time, every event sent once, leases given back', async () => {
    const eps = await Promise.all(
      ['/pair-a', '/pair-b', '/pair-c'].map((path) =>
        registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
          url: receiver.url(path),
          description: path,
          events: ['ticket.created'],
          orderedPerTicket: false,
        }),
      ),
    );
    for (let i = 0; i < 30; i++) await makeTicket(world.users.acmeUser, world.acme, `Pair ${i}`);
    await sweepMissedWebhookEvents(sys('sweep'));
    receiver.delayMs = 5;
    // Each worker delivers until nothing is left, as the recurring job and the wake-up do.
    const worker = async (name: string) => {
      for (let round = 0; round < 20; round++) {
        const r = await deliverDueWebhooks(sys(name), { limit: 20 });
        if (!r.claimed) return;
      }
    };
    await Promise.all([worker('job'), worker('wake-up')]);
    receiver.delayMs = 0;
    const paths = new Set(['/pair-a', '/pair-b', '/pair-c']);
    const ids = receiver.received.filter((r) => paths.has(r.path)).map((r) => r.headers['webhook-id']);
    expect(ids).to.have.length(90);
    expect(new Set(ids).size).to.equal(90);
    const ok = (await attemptHistory({ endpointId: { $in: eps.map((ep) => ep.id) }, ok: true })).length;
    expect(ok).to.equal(90);
    const rows = await WebhookEndpoint.find({ _id: { $in: eps.map((ep) => ep.id) } })
      .setOptions({ allTenants: true })
      .lean();
    expect(rows.map((r) => r.leaseUntil)).to.deep.equal([null, null, null]);
  });

  /** The one active endpoint from here on (the earlier tests' endpoints stop). */
  const onlyEndpoint = async (path: string) => {
    await WebhookEndpoint.updateMany({}, { $set: { state: 'disabled' } }).setOptions({ allTenants: true });
    return registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url(path),
      description: path,
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
  };

  it('drops an outcome that arrives after the write margin: the event goes again under the same webhook-id', async () => {
    const ep = await onlyEndpoint('/late');
    await makeTicket(world.users.acmeUser, world.acme, 'Late answer');
    await sweepMissedWebhookEvents(sys('sweep'));
    // The answer comes 300 ms after the request; the run may write outcomes for 100 ms only.
    receiver.delayMs = 300;
    await deliverDueWebhooks(sys('slow'), { limit: 1, writeMarginMs: deliveryPolicy.leaseMs - 100 });
    receiver.delayMs = 0;
    const sent = () =>
      receiver.received.filter((r) => r.path === '/late').map((r) => r.headers['webhook-id']);
    expect(sent()).to.have.length(1);
    const row = await WebhookEvent.findOne({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(row).to.include({ status: 'pending', attempts: 0 });
    expect(row?.okAttempt).to.equal(undefined);
    // The attempt is in the history all the same (a row of its own: it did not finish the event).
    const first = await attemptHistory({ endpointId: ep.id });
    expect(first.map((a) => [a.msgId, a.ok, a.attempt])).to.deep.equal([[row?.msgId, true, 1]]);

    await deliverDueWebhooks(sys('next'));
    expect(sent()).to.deep.equal([row?.msgId, row?.msgId]);
    const done = await WebhookEvent.findOne({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(done).to.include({ status: 'delivered', attempts: 1 });
    const history = await attemptHistory({ endpointId: ep.id });
    expect(history.map((a) => [a.msgId, a.ok])).to.deep.equal([
      [row?.msgId, true],
      [row?.msgId, true],
    ]);
    expect(String(history[0]?._id)).to.equal(String((done?.okAttempt as { _id?: unknown } | undefined)?._id));
  });

  it('hands events this process wrote to the run that takes their endpoint; one another node took since goes by the read', async () => {
    const ep = await onlyEndpoint('/handed');
    const sentTo = () =>
      receiver.received.filter((r) => r.path === '/handed').map((r) => r.headers['webhook-id']);
    for (let i = 0; i < 3; i++) await makeTicket(world.users.acmeUser, world.acme, `Handed ${i}`);
    await sweepMissedWebhookEvents(sys('sweep'));
    expect(freshCount()).to.equal(3);
    const written = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    // Another node's run took the endpoint, delivered the first event and gave the endpoint back.
    await WebhookEndpoint.updateOne(
      { _id: ep.id, tenantId: world.acme._id },
      { $set: { leaseToken: 'another-node', leaseUntil: null } },
    );
    await WebhookEvent.updateOne(
      { _id: written[0]?._id, tenantId: world.acme._id },
      { $set: { status: 'delivered', deliveredAt: new Date(), attempts: 1 } },
    );
    await deliverDueWebhooks(sys('after-the-other'));
    expect([...sentTo()].sort()).to.deep.equal([written[1]?.msgId, written[2]?.msgId].sort());
    expect(freshCount()).to.equal(0);

    // Written while nobody else takes the endpoint: sent from the hand-over, each once.
    for (let i = 0; i < 4; i++) await makeTicket(world.users.acmeUser, world.acme, `Handed more ${i}`);
    await sweepMissedWebhookEvents(sys('sweep'));
    expect(freshCount()).to.equal(4);
    await Promise.all([deliverDueWebhooks(sys('one')), deliverDueWebhooks(sys('two'))]);
    expect(freshCount()).to.equal(0);
    const ids = sentTo();
    expect(ids).to.have.length(6);
    expect(new Set(ids).size).to.equal(6);
    const rows = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(rows.every((e) => e.status === 'delivered')).to.equal(true);
  });
});
