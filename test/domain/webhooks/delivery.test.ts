import { expect } from 'chai';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { attemptHistory } from '../../../server/domain/webhooks/list-attempts.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { assignTicket } from '../../../server/domain/queues/claims.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { replySchema } from '../../../server/domain/tickets/schemas.js';
import {
  deliverDueWebhooks,
  deliveryPolicy,
  retrySchedule,
} from '../../../server/domain/webhooks/deliver.js';
import {
  recordWebhookEvents,
  sweepMissedWebhookEvents,
} from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { rotateSecret } from '../../../server/domain/webhooks/rotate-secret.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { webhookPayloadSchemas } from '../../../server/domain/webhooks/payload-schemas.js';
import { openApiDocument } from '../../../server/http/api/openapi.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { WebhookReceiver, type Received } from '../../support/webhook-receiver.js';

const log = pino({ level: 'silent' });
/** Every payload sent matches the schema the OpenAPI document's `webhooks` section publishes. */
const checkPayload = (body: string): { type: string } => {
  const payload = JSON.parse(body) as { type: keyof typeof webhookPayloadSchemas };
  const parsed = webhookPayloadSchemas[payload.type].safeParse(payload);
  expect(parsed.success, `${body}: ${parsed.error?.message ?? ''}`).to.equal(true);
  return payload;
};
const sys = () => systemCtx(log, 'webhooks-test');
const allEvents = [
  'ticket.created',
  'ticket.status_changed',
  'ticket.reply_added',
  'ticket.assigned',
  'ticket.sla_warning',
  'ticket.sla_breach',
  'csat.received',
  'einvoice.received',
  'quality.lot_decided',
  'quality.accuracy_breached',
] as const;

/** Issue 19, items 1-3: events written once, signed, delivered at least once, never lost. */
describe('webhook delivery (domain)', function () {
  this.timeout(60_000);
  let world: World;
  const receiver = new WebhookReceiver();
  const at = (path: string): Received[] => receiver.received.filter((r) => r.path === path);

  before(async () => {
    await connectTestDb('webhooks');
    world = await makeWorld();
    await receiver.start();
    configureWebhooks({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
  });
  afterEach(async () => {
    // Each test's endpoints stop here, so the next test's tickets are not their events.
    await WebhookEndpoint.updateMany({}, { $set: { state: 'disabled' } }).setOptions({ allTenants: true });
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });
  after(async () => {
    await receiver.stop();
    configureWebhooks({ allowHosts: [], timeoutMs: 10_000 });
    await dropAndDisconnect();
  });

  const register = (
    path: string,
    extra: { orderedPerTicket?: boolean; events?: Array<(typeof allEvents)[number]> } = {},
  ) =>
    registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url(path),
      description: path,
      events: extra.events ?? [...allEvents],
      orderedPerTicket: extra.orderedPerTicket ?? false,
    });
  const eventsOf = (endpointId: string) =>
    WebhookEvent.find({ endpointId }).setOptions({ allTenants: true }).sort({ occurredAt: 1 }).lean();

  it('signs per Standard Webhooks: the library verifies every request; thin payload; attempt recorded', async () => {
    const ep = await register('/signed');
    expect(ep.secret).to.match(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Signed webhook');
    await addReply(
      ctxOf(world.users.operatorBoth, null),
      ticket.number,
      replySchema.parse({ body: 'On it.' }),
    );
    expect(await sweepMissedWebhookEvents(sys())).to.equal(3); // created, status new->open, reply
    expect(await sweepMissedWebhookEvents(sys())).to.equal(0); // written once
    const result = await deliverDueWebhooks(sys());
    expect(result.delivered).to.equal(3);
    const got = at('/signed');
    expect(got).to.have.length(3);
    const wh = new Webhook(ep.secret);
    const types = got.map((r) => {
      const payload = wh.verify(r.body, r.headers) as { type: string; data: Record<string, unknown> };
      expect(r.headers['webhook-id']).to.match(/^msg_/);
      expect(r.headers['content-type']).to.equal('application/json');
      checkPayload(r.body);
      return payload;
    });
    expect(types.map((p) => p.type).sort()).to.deep.equal(
      ['ticket.created', 'ticket.reply_added', 'ticket.status_changed'].sort(),
    );
    type Payload = { data: { ticket: unknown; links: { ticket: string }; from?: string; to?: string } };
    const created = types.find((p) => p.type === 'ticket.created') as unknown as Payload;
    expect(created.data.ticket).to.deep.equal({
      id: String(ticket._id),
      number: ticket.number,
      type: 'complaint',
    });
    expect(created.data.links.ticket).to.match(new RegExp(`/tickets/${ticket.number}$`));
    expect(JSON.stringify(types)).not.to.contain('On it.'); // thin: no reply text
    const status = types.find((p) => p.type === 'ticket.status_changed') as unknown as Payload;
    expect(status.data).to.include({ from: 'new', to: 'open' });
    // A tampered body does not verify.
    expect(() => wh.verify(got[0]!.body.replace('ticket', 'Ticket'), got[0]!.headers)).to.throw();
    const attempts = await attemptHistory({ endpointId: ep.id });
    expect(attempts).to.have.length(3);
    for (const a of attempts) {
      expect(a.ok).to.equal(true);
      expect(a.status).to.equal(200);
      expect(a.responseExcerpt).to.equal('ok');
      expect(a.latencyMs).to.be.a('number');
      expect((a.requestHeaders as Record<string, string>)['webhook-signature']).to.match(/^v1,/);
    }
    for (const e of await eventsOf(ep.id)) expect(e.status).to.equal('delivered');
  });

  it('sends both signatures during a secret rotation, each verifying on its own', async () => {
    const ep = await register('/rotated', { events: ['ticket.created'] });
    const rotated = await rotateSecret(ctxOf(world.users.acmeAdmin, world.acme), ep.id, {
      overlapSeconds: 3600,
    });
    expect(rotated.secret).not.to.equal(ep.secret);
    await makeTicket(world.users.acmeUser, world.acme, 'Rotation');
    await sweepMissedWebhookEvents(sys());
    await deliverDueWebhooks(sys());
    const [got] = at('/rotated');
    expect(got).to.not.equal(undefined);
    const signatures = got!.headers['webhook-signature']!.split(' ');
    expect(signatures).to.have.length(2);
    for (const s of signatures) expect(s).to.match(/^v1,/);
    expect(() => new Webhook(rotated.secret).verify(got!.body, got!.headers)).not.to.throw();
    expect(() => new Webhook(ep.secret).verify(got!.body, got!.headers)).not.to.throw();
    // After the overlap only the new secret signs.
    const later = new Date(Date.now() + 2 * 3_600_000);
    await rotateSecret(ctxOf(world.users.acmeAdmin, world.acme), ep.id, { overlapSeconds: 0 });
    await makeTicket(world.users.acmeUser, world.acme, 'Rotation 2');
    await sweepMissedWebhookEvents(sys());
    await deliverDueWebhooks(sys(), { now: () => later });
    expect(at('/rotated')[1]!.headers['webhook-signature']!.split(' ')).to.have.length(1);
  });

  it('retries on the schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with the same webhook-id, then gives up', async () => {
    const ep = await register('/schedule', { events: ['ticket.created'] });
    receiver.answer = () => ({ status: 400, body: 'bad payload' });
    await makeTicket(world.users.acmeUser, world.acme, 'Schedule');
    await sweepMissedWebhookEvents(sys());
    let t = Date.now();
    const now = () => new Date(t);
    const random = () => 0.5; // no jitter: exact schedule
    const seen: number[] = [];
    for (let attempt = 1; attempt <= retrySchedule.length; attempt++) {
      const r = await deliverDueWebhooks(sys(), { now, random });
      expect(r.claimed, `attempt ${attempt}`).to.equal(1);
      seen.push(t);
      const [event] = await eventsOf(ep.id);
      if (attempt < retrySchedule.length) {
        expect(event!.status).to.equal('pending');
        const wait = event!.nextAttemptAt.getTime() - t;
        expect(wait, `wait after attempt ${attempt}`).to.equal(retrySchedule[attempt]);
        // Not a moment before it is due.
        t += wait - 1;
        expect((await deliverDueWebhooks(sys(), { now, random })).claimed).to.equal(0);
        t += 1;
      } else {
        expect(event!.status).to.equal('failed');
        expect(event!.attempts).to.equal(8);
      }
    }
    const got = at('/schedule');
    expect(got).to.have.length(8);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).to.equal(1);
    const attempts = await attemptHistory({ endpointId: ep.id });
    expect(attempts.map((a) => a.attempt).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(attempts.every((a) => a.status === 400 && a.responseExcerpt === 'bad payload')).to.equal(true);
    // A 4xx is this payload's problem: the endpoint's breaker never counted it.
    const row = await WebhookEndpoint.findOne({ _id: ep.id }).setOptions({ allTenants: true }).lean();
    expect(row!.consecutiveFailures).to.equal(0);
    expect(row!.circuitOpenUntil).to.equal(null);
  });

  it('adds up to 10 % jitter either way, and honours Retry-After', async () => {
    const ep = await register('/jitter', { events: ['ticket.created'] });
    receiver.answer = () => ({ status: 503 });
    await makeTicket(world.users.acmeUser, world.acme, 'Jitter');
    await sweepMissedWebhookEvents(sys());
    const t = Date.now();
    await deliverDueWebhooks(sys(), { now: () => new Date(t), random: () => 0 });
    let [event] = await eventsOf(ep.id);
    expect(event!.nextAttemptAt.getTime() - t).to.equal(4_500);
    receiver.answer = () => ({ status: 429, headers: { 'Retry-After': '3600' } });
    const t2 = t + 5_000;
    await deliverDueWebhooks(sys(), { now: () => new Date(t2), random: () => 1 });
    [event] = await eventsOf(ep.id);
    expect(event!.nextAttemptAt.getTime() - t2).to.equal(3_600_000); // later than the schedule's 5 min (+10 %)
    expect(event!.lastStatus).to.equal(429);
  });

  it('disables the endpoint on 410 Gone and writes it no more events', async () => {
    const ep = await register('/gone', { events: ['ticket.created'] });
    receiver.answer = () => ({ status: 410 });
    await makeTicket(world.users.acmeUser, world.acme, 'Gone');
    await sweepMissedWebhookEvents(sys());
    await deliverDueWebhooks(sys());
    const row = await WebhookEndpoint.findOne({ _id: ep.id }).setOptions({ allTenants: true }).lean();
    expect(row!.state).to.equal('disabled');
    expect(row!.disabledReason).to.equal('gone');
    expect((await eventsOf(ep.id))[0]!.status).to.equal('failed');
    await makeTicket(world.users.acmeUser, world.acme, 'Gone 2');
    await sweepMissedWebhookEvents(sys());
    expect(await eventsOf(ep.id)).to.have.length(1);
  });

  it('opens the circuit after consecutive failures, lets one probe through half-open, never delays another endpoint', async () => {
    const sick = await register('/sick', { events: ['ticket.created'] });
    const well = await register('/well', { events: ['ticket.created'] });
    receiver.answer = (r) => (r.path === '/sick' ? { status: 500 } : { status: 204 });
    for (let i = 0; i < 7; i++) await makeTicket(world.users.acmeUser, world.acme, `Breaker ${i}`);
    await sweepMissedWebhookEvents(sys());
    let t = Date.now();
    const now = () => new Date(t);
    await deliverDueWebhooks(sys(), { now });
    expect(at('/well')).to.have.length(7);
    expect(at('/sick')).to.have.length(7);
    let row = await WebhookEndpoint.findOne({ _id: sick.id }).setOptions({ allTenants: true }).lean();
    expect(row!.consecutiveFailures).to.equal(7);
    expect(row!.circuitOpenUntil!.getTime()).to.be.greaterThan(t);
    expect(row!.failingSince).to.not.equal(null);
    // Due again after 5 s, but the circuit is open: nothing is sent, no attempt is spent.
    t += 10_000;
    expect((await deliverDueWebhooks(sys(), { now })).claimed).to.equal(0);
    expect(at('/sick')).to.have.length(7);
    // Half-open: exactly one probe; it fails, the circuit opens again for longer.
    t = row!.circuitOpenUntil!.getTime() + 1;
    expect((await deliverDueWebhooks(sys(), { now })).claimed).to.equal(1);
    expect(at('/sick')).to.have.length(8);
    row = await WebhookEndpoint.findOne({ _id: sick.id }).setOptions({ allTenants: true }).lean();
    expect(row!.circuitOpenUntil!.getTime()).to.be.greaterThan(t + deliveryPolicy.breakerBaseMs);
    // Healed: the next probe succeeds, the circuit closes, the backlog goes.
    receiver.answer = () => ({ status: 200 });
    t = row!.circuitOpenUntil!.getTime() + 10 * 60_000;
    const r = await deliverDueWebhooks(sys(), { now });
    expect(r.delivered).to.equal(7);
    row = await WebhookEndpoint.findOne({ _id: sick.id }).setOptions({ allTenants: true }).lean();
    expect(row!.consecutiveFailures).to.equal(0);
    expect(row!.circuitOpenUntil).to.equal(null);
    expect(row!.failingSince).to.equal(null);
    expect((await eventsOf(well.id)).every((e) => e.status === 'delivered')).to.equal(true);
  });

  it('never lets one endpoint’s backlog delay another endpoint', async () => {
    const busy = await register('/busy', { events: ['ticket.created'] });
    for (let i = 0; i < 6; i++) await makeTicket(world.users.acmeUser, world.acme, `Backlog ${i}`);
    await sweepMissedWebhookEvents(sys());
    const calm = await register('/calm', { events: ['ticket.created'] });
    await makeTicket(world.users.acmeUser, world.acme, 'Calm');
    await sweepMissedWebhookEvents(sys());
    // The busy endpoint's older events fill the whole read (scan 3): the calm one still goes.
    const r = await deliverDueWebhooks(sys(), { scan: 3, limit: 4 });
    expect(r.claimed).to.equal(4);
    expect(at('/calm')).to.have.length(1);
    expect(at('/busy')).to.have.length(3);
    await deliverDueWebhooks(sys());
    expect(at('/busy')).to.have.length(7);
    expect((await eventsOf(calm.id)).map((e) => e.status)).to.deep.equal(['delivered']);
    expect((await eventsOf(busy.id)).every((e) => e.status === 'delivered')).to.equal(true);
  });

  it('stops sending what a run holds once the endpoint’s circuit opens, and gives it back unspent', async () => {
    const down = await register('/down', { events: ['ticket.created'] });
    receiver.answer = () => ({ status: 503 });
    for (let i = 0; i < 20; i++) await makeTicket(world.users.acmeUser, world.acme, `Down ${i}`);
    await sweepMissedWebhookEvents(sys());
    const t = Date.now();
    await deliverDueWebhooks(sys(), { now: () => new Date(t) });
    const sent = at('/down').length;
    // 8 lanes at once: the breaker opens after 5 failures, each lane stops after its request in flight.
    expect(sent).to.be.at.least(deliveryPolicy.breakerThreshold).and.below(20);
    const rows = await eventsOf(down.id);
    expect(rows.filter((e) => e.attempts === 1)).to.have.length(sent);
    const back = rows.filter((e) => e.attempts === 0);
    expect(back).to.have.length(20 - sent);
    expect(back.every((e) => e.status === 'pending' && e.claimedBy === null)).to.equal(true);
  });

  it('isolates a poison payload; with per-ticket order only that ticket’s later events wait', async () => {
    const loose = await register('/loose', { events: ['ticket.created', 'ticket.status_changed'] });
    const strict = await register('/strict', {
      events: ['ticket.created', 'ticket.status_changed'],
      orderedPerTicket: true,
    });
    const poison = await makeTicket(world.users.acmeUser, world.acme, 'Poison');
    const fine = await makeTicket(world.users.acmeUser, world.acme, 'Fine');
    const staff = ctxOf(world.users.operatorBoth, null);
    await changeStatus(staff, poison.number, 'open');
    await changeStatus(staff, fine.number, 'open');
    receiver.answer = (r) =>
      r.body.includes(`"number":"${poison.number}"`) && r.body.includes('ticket.created')
        ? { status: 422 }
        : { status: 200 };
    await sweepMissedWebhookEvents(sys());
    let t = Date.now();
    const now = () => new Date(t);
    await deliverDueWebhooks(sys(), { now });
    await deliverDueWebhooks(sys(), { now });
    const typesAt = (path: string, ok: boolean) =>
      at(path)
        .filter((r) => (ok ? !(r.body.includes(poison.number) && r.body.includes('ticket.created')) : true))
        .map(
          (r) =>
            `${(JSON.parse(r.body) as { type: string; data: { ticket: { number: string } } }).data.ticket.number}:${(JSON.parse(r.body) as { type: string }).type}`,
        );
    // Unordered: everything but the poison payload went.
    expect(typesAt('/loose', true).sort()).to.deep.equal(
      [
        `${fine.number}:ticket.created`,
        `${fine.number}:ticket.status_changed`,
        `${poison.number}:ticket.status_changed`,
      ].sort(),
    );
    // Ordered: the poison ticket's status change waits behind its failing creation; the other ticket goes in order.
    expect(typesAt('/strict', true)).to.deep.equal([
      `${fine.number}:ticket.created`,
      `${fine.number}:ticket.status_changed`,
    ]);
    const waiting = (await eventsOf(strict.id)).filter((e) => e.status === 'pending');
    expect(waiting.map((e) => e.type).sort()).to.deep.equal(['ticket.created', 'ticket.status_changed']);
    // The receiver takes it now: the created event goes first, then the status change.
    receiver.answer = () => ({ status: 200 });
    t += 6_000;
    await deliverDueWebhooks(sys(), { now });
    const strictPoison = at('/strict')
      .map((r) => JSON.parse(r.body) as { type: string; data: { ticket: { number: string } } })
      .filter((p) => p.data.ticket.number === poison.number)
      .map((p) => p.type);
    expect(strictPoison).to.deep.equal(['ticket.created', 'ticket.created', 'ticket.status_changed']);
    expect((await eventsOf(loose.id)).every((e) => e.status === 'delivered')).to.equal(true);
    expect((await eventsOf(strict.id)).every((e) => e.status === 'delivered')).to.equal(true);
  });

  it('receiver down for a while, then back: every event delivered, each webhook-id successful once', async () => {
    const ep = await register('/outage');
    const tickets = [];
    for (let i = 0; i < 8; i++)
      tickets.push(await makeTicket(world.users.acmeUser, world.acme, `Outage ${i}`));
    const staff = ctxOf(world.users.operatorBoth, null);
    for (const tk of tickets.slice(0, 4)) {
      await assignTicket(ctxOf(world.users.teamLead, null), tk.number, String(world.users.operatorAcme._id));
      await addReply(staff, tk.number, replySchema.parse({ body: 'Looking.' }));
    }
    await sweepMissedWebhookEvents(sys());
    const expected = (await eventsOf(ep.id)).map((e) => e.msgId);
    expect(expected.length).to.be.greaterThan(15);
    await receiver.stop();
    let t = Date.now();
    const now = () => new Date(t);
    // Down for three hours of the clock: attempts fail (connection refused), the breaker opens.
    for (let step = 0; step < 12; step++) {
      await deliverDueWebhooks(sys(), { now });
      t += 15 * 60_000;
    }
    expect(at('/outage')).to.have.length(0);
    const failedAttempts = (await attemptHistory({ endpointId: ep.id, ok: false })).length;
    expect(failedAttempts).to.be.greaterThan(0);
    // A worker died holding one claim: its lease runs out and another run takes it over.
    await WebhookEvent.updateOne(
      { endpointId: ep.id, msgId: expected[0] },
      { $set: { status: 'delivering', claimedBy: 'dead-run', leaseUntil: new Date(t + 60_000) } },
    ).setOptions({ allTenants: true });
    await receiver.start();
    for (let step = 0; step < 20; step++) {
      await deliverDueWebhooks(sys(), { now });
      t += 30 * 60_000;
    }
    const events = await eventsOf(ep.id);
    expect(events.filter((e) => e.status !== 'delivered')).to.deep.equal([]);
    const ok = (await attemptHistory({ endpointId: ep.id, ok: true })).map((a) => a.msgId);
    expect(ok.sort()).to.deep.equal([...expected].sort()); // each once
    const wh = new Webhook(ep.secret);
    const sentTypes = new Set(at('/outage').map((r) => checkPayload(r.body).type));
    // Assigning a new ticket opens it: a status change too.
    expect([...sentTypes]).to.have.members([
      'ticket.created',
      'ticket.assigned',
      'ticket.status_changed',
      'ticket.reply_added',
    ]);
    const ids = at('/outage').map((r) => {
      // The clock ran hours ahead of the receiver's: check the signature, not the timestamp's age.
      const sig = r.headers['webhook-signature']!;
      expect(sig).to.equal(
        wh.sign(r.headers['webhook-id']!, new Date(Number(r.headers['webhook-timestamp']) * 1000), r.body),
      );
      return r.headers['webhook-id'];
    });
    expect(new Set(ids).size).to.equal(expected.length);
  });

  it('documents every event type in the OpenAPI document’s webhooks section', () => {
    const doc = openApiDocument('en') as {
      webhooks: Record<
        string,
        {
          post: {
            requestBody: { content: Record<string, { schema: unknown }> };
            parameters: Array<{ name: string }>;
          };
        }
      >;
    };
    expect(Object.keys(doc.webhooks)).to.have.members([...allEvents]);
    for (const type of allEvents) {
      const op = doc.webhooks[type]!.post;
      expect(JSON.stringify(op.requestBody.content['application/json']!.schema)).to.include(
        `"const":"${type}"`,
      );
      expect(op.parameters.map((p) => p.name)).to.deep.equal([
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
      ]);
    }
  });

  it('writes each event once, whoever writes it: fast path, sweep, again', async () => {
    const ep = await register('/once', { events: ['ticket.created'] });
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Once');
    const entries = await TimelineEntry.find({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    expect(await recordWebhookEvents(sys(), world.acme._id, entries as never)).to.equal(1);
    expect(await recordWebhookEvents(sys(), world.acme._id, entries as never)).to.equal(0);
    expect(await sweepMissedWebhookEvents(sys())).to.equal(0);
    const rows = await eventsOf(ep.id);
    expect(rows).to.have.length(1);
    expect(rows[0]!.key).to.equal(`${ep.id}:${entries.find((e) => e.kind === 'created')!.key}`);
  });
});
