import { expect } from 'chai';
import { pino } from 'pino';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { deliverDueWebhooks } from '../../../server/domain/webhooks/deliver.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';

const sys = (name: string) => systemCtx(pino({ level: 'silent' }), name);

/**
 * Issue 19, item 3 (delivery speed, bench:webhooks): claims take each waiting event by its unique
 * `{ _id, status, claimedBy }` key and successes are recorded behind the next request. What must
 * still hold: workers running at once send each event once; a claim never takes an event another
 * run holds, nor one delivered; an expired lease is taken over; a run returns only once what it
 * delivered is recorded.
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
    const attempts = await WebhookAttempt.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
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
});
