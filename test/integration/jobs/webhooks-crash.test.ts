import { expect } from 'chai';
import { attemptHistory } from '../../../server/domain/webhooks/list-attempts.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { crashRig } from '../../support/crash-rig.js';
import { spawnPortal } from '../../support/spawned-portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';

const TICKETS = 60;
const LATE_TICKETS = 10;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (line: string): void => {
  process.stdout.write(`      [webhooks-crash] ${line}\n`);
};
async function until(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await wait(50);
  }
}

/**
 * Issue 19, item 3: `kill -9` of the portal in the middle of delivering, and a fresh start on the
 * same database: nothing lost. The tickets are created by this process, which writes no webhook
 * events at all (no listener here): exactly what a portal killed between a change and its events
 * leaves. Portal A (its own process, jobs on) writes them with its start-up sweep and delivers
 * to a slow receiver; it gets SIGKILL mid-delivery. More tickets are created while no portal
 * runs. Portal B writes the rest and delivers everything: the endpoint A had leased once its
 * lease runs out (deliveryPolicy.leaseMs, 60 s), the events A sent but had not marked again,
 * under the same webhook-id.
 *
 * What must hold: one event row per (endpoint, change); every event delivered by the end; every
 * webhook-id received with a 2xx; a webhook-id received twice only if A held the endpoint's lease
 * at the kill and had not marked the event delivered (at least once, never lost, never sent again
 * after its success was recorded; the receiver de-duplicates by webhook-id).
 */
describe('webhooks: the portal killed with -9 mid-delivery, then a fresh one', function () {
  this.timeout(300_000);
  const rig = crashRig('webhooks-crash');
  const receiver = new WebhookReceiver();
  before(async () => {
    await receiver.start();
    configureWebhooks({ allowHosts: ['127.0.0.1'] });
  });
  after(async () => {
    configureWebhooks({ allowHosts: [] });
    await receiver.stop();
  });

  it('loses no event and repeats only what the killed portal held', async () => {
    const { world, uri, portals, smtp } = rig;
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url('/crash'),
      description: 'crash',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    for (let i = 0; i < TICKETS; i++) await makeTicket(world.users.acmeUser, world.acme, `Crash ${i}`);
    receiver.delayMs = 150;
    const env = {
      MONGODB_URI: uri,
      JOBS_ENABLED: 'true',
      SMTP_URL: smtp.url,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      SEED_DEMO: 'false',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    };
    const a = await spawnPortal(env);
    portals.push(a);
    await until(
      'portal A to deliver a third of the events',
      60_000,
      () => receiver.received.length >= TICKETS / 3,
    );
    await a.signal('SIGKILL');
    expect(a.child.signalCode).to.equal('SIGKILL');
    await wait(300);
    const lease = await WebhookEndpoint.findOne({ _id: ep.id, tenantId: world.acme._id }).lean();
    // Between two runs (lease given back) A held nothing: then no event may arrive twice.
    const leased = Boolean(lease?.leaseUntil && lease.leaseUntil.getTime() > Date.now());
    const held = leased
      ? await WebhookEvent.find({
          tenantId: world.acme._id,
          endpointId: ep.id,
          status: { $ne: 'delivered' },
        }).lean()
      : [];
    const heldIds = new Set(held.map((e) => e.msgId));
    const deliveredAtKill = await WebhookEvent.countDocuments({
      tenantId: world.acme._id,
      endpointId: ep.id,
      status: 'delivered',
    });
    note(
      `killed portal A with ${receiver.received.length} requests received, ${deliveredAtKill} events marked delivered, ${held.length} not marked (A held the endpoint)`,
    );
    expect(deliveredAtKill, 'portal A finished before the kill').to.be.lessThan(TICKETS);

    // Changes while no portal runs: nobody writes their events now.
    for (let i = 0; i < LATE_TICKETS; i++) await makeTicket(world.users.acmeUser, world.acme, `Late ${i}`);
    const b = await spawnPortal(env);
    portals.push(b);
    const restarted = Date.now();
    const total = TICKETS + LATE_TICKETS;
    await until('every event delivered', 150_000, async () => {
      const done = await WebhookEvent.countDocuments({
        tenantId: world.acme._id,
        endpointId: ep.id,
        status: 'delivered',
      });
      return done === total;
    });
    note(`portal B delivered the rest ${((Date.now() - restarted) / 1000).toFixed(1)} s after it was ready`);

    const events = await WebhookEvent.find({ tenantId: world.acme._id, endpointId: ep.id }).lean();
    expect(events).to.have.length(total); // written once each
    expect(new Set(events.map((e) => String(e.sourceId))).size).to.equal(total);
    const counts = new Map<string, number>();
    for (const r of receiver.received)
      counts.set(r.headers['webhook-id']!, (counts.get(r.headers['webhook-id']!) ?? 0) + 1);
    for (const e of events) expect(counts.get(e.msgId), `received ${e.msgId}`).to.be.at.least(1);
    expect(counts.size).to.equal(total);
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of twice) expect(heldIds.has(id), `${id} received twice but not held by A`).to.equal(true);
    const okAttempts = (await attemptHistory({ tenantId: world.acme._id, endpointId: ep.id, ok: true }))
      .length;
    note(
      `${twice.length} webhook-ids received twice (all held by A at the kill), ${okAttempts} successful attempts recorded`,
    );
  });
});
