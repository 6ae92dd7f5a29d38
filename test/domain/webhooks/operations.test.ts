import { expect } from 'chai';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { deliverDueWebhooks } from '../../../server/domain/webhooks/deliver.js';
import { purgeExpired } from '../../../server/domain/housekeeping/purge-expired.js';
import { disableFailingEndpoints } from '../../../server/domain/webhooks/disable-failing.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { attemptHistory, listAttempts } from '../../../server/domain/webhooks/list-attempts.js';
import { freshCount } from '../../../server/domain/webhooks/fresh-events.js';
import { replayEvents } from '../../../server/domain/webhooks/replay-events.js';
import { sendTestEvent, testEventPayloadSchema } from '../../../server/domain/webhooks/send-test-event.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { auditActionLabel, auditAreaLabel } from '../../../server/domain/reports/audit-view.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { rotateSecret } from '../../../server/domain/webhooks/rotate-secret.js';
import { updateEndpoint } from '../../../server/domain/webhooks/update-endpoint.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';

const sys = () => systemCtx(pino({ level: 'silent' }), 'webhook-ops-test');
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e as { code?: string }).code,
  );

/** Issue 19, item 4: the operable parts (audit, test event, attempts, replay). */
describe('webhook operations (domain)', function () {
  this.timeout(60_000);
  let world: World;
  const receiver = new WebhookReceiver();
  before(async () => {
    await connectTestDb('webhook-operations');
    world = await makeWorld();
    await receiver.start();
    configureWebhooks({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
  });
  afterEach(async () => {
    await WebhookEndpoint.updateMany({}, { $set: { state: 'disabled' } }).setOptions({ allTenants: true });
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });
  after(async () => {
    await receiver.stop();
    configureWebhooks({ allowHosts: [], timeoutMs: 10_000 });
    await dropAndDisconnect();
  });
  const acmeAdmin = () => ctxOf(world.users.acmeAdmin, world.acme);
  const register = (path: string) =>
    registerEndpoint(acmeAdmin(), {
      url: receiver.url(path),
      description: path,
      events: ['ticket.created'],
      orderedPerTicket: true,
    });

  it('audits registration, change and secret rotation, labelled in every language', async () => {
    const acme = ctxOf(world.users.acmeAdmin, world.acme);
    const ep = await registerEndpoint(acme, {
      url: 'https://erp.acme.example/audit',
      description: 'ERP',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    await updateEndpoint(acme, ep.id, { description: 'ERP 2' });
    await rotateSecret(acme, ep.id);
    const rows = await AuditEvent.find({ targetId: ep.id })
      .setOptions({ allTenants: true })
      .sort({ at: 1 })
      .lean();
    expect(rows.map((r) => r.action)).to.deep.equal([
      'webhook.registered',
      'webhook.updated',
      'webhook.secret_rotated',
    ]);
    expect(rows.every((r) => String(r.tenantId) === String(world.acme._id))).to.equal(true);
    expect(rows[0]!.actorEmail).to.equal(world.users.acmeAdmin.email);
    expect(JSON.stringify(rows)).not.to.contain('whsec_');
    expect(rows[1]!.details).to.deep.equal({ changed: ['description'] });
    for (const locale of ['en', 'it', 'da'] as const) {
      expect(auditAreaLabel('webhook', locale)).not.to.equal('webhook');
      for (const r of rows) expect(auditActionLabel(r.action, locale)).not.to.equal(r.action);
    }
  });

  it('sends a test event through the same table and delivery: signed, recorded, a new webhook-id each time', async () => {
    const ep = await register('/test-event');
    const first = await sendTestEvent(acmeAdmin(), ep.id);
    const second = await sendTestEvent(acmeAdmin(), ep.id);
    expect(first.msgId).to.match(/^msg_/).and.not.equal(second.msgId);
    const result = await deliverDueWebhooks(sys());
    expect(result.delivered).to.equal(2);
    const got = receiver.received.filter((r) => r.path === '/test-event');
    expect(got.map((r) => r.headers['webhook-id']).sort()).to.deep.equal([first.msgId, second.msgId].sort());
    for (const r of got) {
      const payload = new Webhook(ep.secret).verify(r.body, r.headers);
      expect(testEventPayloadSchema.safeParse(payload).success, r.body).to.equal(true);
    }
    const row = await WebhookEvent.findOne({ _id: first.eventId, tenantId: world.acme._id }).lean();
    expect(row).to.include({ status: 'delivered', type: 'webhook.test' });
    const attempts = await attemptHistory({ eventId: first.eventId, tenantId: world.acme._id });
    expect(attempts.map((a) => a.ok)).to.deep.equal([true]);
    const audit = await AuditEvent.find({ targetId: ep.id, action: 'webhook.test_sent' })
      .setOptions({ allTenants: true })
      .lean();
    expect(audit).to.have.length(2);
  });

  it('hands a test event straight to delivery (the fast path), delivered at the next run', async () => {
    const ep = await registerEndpoint(acmeAdmin(), {
      url: receiver.url('/test-fast'),
      description: 'fast',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    const waiting = freshCount();
    const sent = await sendTestEvent(acmeAdmin(), ep.id);
    expect(freshCount()).to.equal(waiting + 1);
    expect((await deliverDueWebhooks(sys())).delivered).to.equal(1);
    expect(freshCount()).to.equal(waiting);
    const got = receiver.received.filter((r) => r.path === '/test-fast');
    expect(got.map((r) => r.headers['webhook-id'])).to.deep.equal([sent.msgId]);
    const row = await WebhookEvent.findOne({ _id: sent.eventId, tenantId: world.acme._id }).lean();
    expect(row).to.include({ status: 'delivered', type: 'webhook.test' });
  });

  it('sends no test event to another company’s endpoint (not found) nor to a disabled one', async () => {
    const ep = await register('/test-other');
    const nord = ctxOf(world.users.nordAdmin, world.nord);
    expect(await codeOf(sendTestEvent(nord, ep.id))).to.equal('not_found');
    expect(await codeOf(sendTestEvent(ctxOf(world.users.acmeUser, world.acme), ep.id))).to.equal('forbidden');
    await updateEndpoint(acmeAdmin(), ep.id, { state: 'disabled' });
    expect(await codeOf(sendTestEvent(acmeAdmin(), ep.id))).to.equal('conflict');
    expect(await WebhookEvent.countDocuments({ endpointId: ep.id, tenantId: world.acme._id })).to.equal(0);
  });

  /** Deliver until nothing is left, the clock moving 11 h a run: failures use up every retry. */
  const deliverAll = async (): Promise<void> => {
    const start = Date.now();
    for (let i = 0; i < 10; i++) {
      const t = new Date(start + i * 11 * 3_600_000);
      await deliverDueWebhooks(sys(), { now: () => t, random: () => 0.5 });
    }
  };
  const eventOf = (eventId: string) =>
    WebhookEvent.findOne({ _id: eventId, tenantId: world.acme._id }).lean().orFail();

  it('replays a failed event: delivered again with the same webhook-id; the history shows every attempt', async () => {
    const ep = await register('/replay-one');
    const sent = await sendTestEvent(acmeAdmin(), ep.id);
    receiver.answer = () => ({ status: 400, body: 'no thanks' });
    await deliverAll();
    expect(await eventOf(sent.eventId)).to.include({ status: 'failed', attempts: 8 });
    receiver.answer = () => ({ status: 200, body: 'ok' });
    expect(await replayEvents(acmeAdmin(), ep.id, { eventId: sent.eventId })).to.deep.equal({ replayed: 1 });
    expect(await eventOf(sent.eventId)).to.include({ status: 'pending', attempts: 0 });
    expect((await deliverDueWebhooks(sys())).delivered).to.equal(1);
    expect(await eventOf(sent.eventId)).to.include({ status: 'delivered' });
    const got = receiver.received.filter((r) => r.path === '/replay-one');
    expect(got).to.have.length(9);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).to.deep.equal(new Set([sent.msgId]));
    new Webhook(ep.secret).verify(
      (got[8] as (typeof got)[number]).body,
      (got[8] as (typeof got)[number]).headers,
    );

    const page = await listAttempts(acmeAdmin(), ep.id, { limit: 5 });
    expect(page.data).to.have.length(5);
    expect(page.data[0]).to.include({ ok: true, status: 200, msgId: sent.msgId, responseExcerpt: 'ok' });
    expect(page.data[1]).to.include({ ok: false, status: 400, responseExcerpt: 'no thanks' });
    expect(page.data[0]!.requestHeaders).to.include({ 'webhook-id': sent.msgId });
    expect(page.data[0]!.requestHeaders).not.to.have.property('webhook-signature');
    expect(page.data[0]!.latencyMs).to.be.a('number');
    const rest = await listAttempts(acmeAdmin(), ep.id, { before: page.nextBefore ?? undefined, limit: 5 });
    expect(rest.data).to.have.length(4);
    expect(rest.nextBefore).to.equal(null);
    const ids = [...page.data, ...rest.data].map((a) => a.id);
    expect(ids).to.deep.equal([...ids].sort().reverse());
    // A delivered event replays too (one delivery again); an unknown one is not found.
    expect(await replayEvents(acmeAdmin(), ep.id, { eventId: sent.eventId })).to.deep.equal({ replayed: 1 });
    expect(await codeOf(replayEvents(acmeAdmin(), ep.id, { eventId: String(world.acme._id) }))).to.equal(
      'not_found',
    );
    const audit = await AuditEvent.find({ targetId: ep.id, action: 'webhook.replayed' })
      .setOptions({ allTenants: true })
      .lean();
    expect(audit).to.have.length(2);
  });

  it('pages the history across first-attempt successes (kept on their events) and retried events (rows)', async () => {
    const ep = await register('/history-mix');
    const sent: Array<Awaited<ReturnType<typeof sendTestEvent>>> = [];
    for (let i = 0; i < 6; i++) sent.push(await sendTestEvent(acmeAdmin(), ep.id));
    // Events 1, 3 and 4 are refused once (422), then taken; the others are taken at once.
    const refuseOnce = new Set([1, 3, 4].map((i) => sent[i]!.msgId));
    receiver.answer = (req) =>
      refuseOnce.delete(req.headers['webhook-id'] ?? '')
        ? { status: 422, body: 'not yet' }
        : { status: 200, body: 'ok' };
    const t = Date.now();
    expect(await deliverDueWebhooks(sys(), { now: () => new Date(t) })).to.include({
      delivered: 3,
      retried: 3,
    });
    expect(await deliverDueWebhooks(sys(), { now: () => new Date(t + 60_000) })).to.include({ delivered: 3 });
    // Both places hold attempts: the retried events' refusals are rows, every success is on its event.
    expect(await WebhookAttempt.countDocuments({ endpointId: ep.id, tenantId: world.acme._id })).to.equal(3);
    expect(
      await WebhookEvent.countDocuments({
        endpointId: ep.id,
        tenantId: world.acme._id,
        'okAttempt.ok': true,
      }),
    ).to.equal(6);
    const pages: Array<Awaited<ReturnType<typeof listAttempts>>> = [];
    let before: string | undefined;
    do {
      const page = await listAttempts(acmeAdmin(), ep.id, { limit: 4, ...(before ? { before } : {}) });
      pages.push(page);
      before = page.nextBefore ?? undefined;
    } while (before);
    expect(pages.map((p) => p.data.length)).to.deep.equal([4, 4, 1]);
    const all = pages.flatMap((p) => p.data);
    const ids = all.map((a) => a.id);
    expect(ids).to.deep.equal([...new Set(ids)].sort().reverse());
    // Each page's last attempt is the boundary: the next page starts right after it, whichever place it is in.
    expect(
      all.filter((a) => !a.ok).map((a) => [a.msgId, a.status, a.attempt, a.responseExcerpt]),
    ).to.have.deep.members([1, 3, 4].map((i) => [sent[i]!.msgId, 422, 1, 'not yet']));
    for (const [i, s] of sent.entries()) {
      const mine = all.filter((a) => a.msgId === s.msgId);
      const retried = [1, 3, 4].includes(i);
      expect(
        mine.map((a) => [a.attempt, a.ok]),
        `event ${i}`,
      ).to.deep.equal(
        retried
          ? [
              [2, true],
              [1, false],
            ]
          : [[1, true]],
      );
      for (const a of mine) {
        expect(a).to.include({ eventId: s.eventId, url: receiver.url('/history-mix') });
        expect(a.requestHeaders).to.include({ 'webhook-id': s.msgId });
        expect(a.requestHeaders).not.to.have.property('webhook-signature');
      }
    }
    // The newest attempts are the second round's successes: all three retried events.
    expect(new Set(all.slice(0, 3).map((a) => a.msgId))).to.deep.equal(
      new Set([1, 3, 4].map((i) => sent[i]!.msgId)),
    );
    // A delivered event replayed: its first success stays in the history, the new one comes on top.
    await replayEvents(acmeAdmin(), ep.id, { eventId: sent[0]!.eventId });
    expect((await deliverDueWebhooks(sys())).delivered).to.equal(1);
    const after = await listAttempts(acmeAdmin(), ep.id, { limit: 100 });
    expect(after.data).to.have.length(10);
    expect(after.data.slice(1).map((a) => a.id)).to.deep.equal(ids);
    expect(after.data[0]).to.include({ msgId: sent[0]!.msgId, ok: true, attempt: 1 });
  });

  it('replays a time range: only this endpoint’s failed events of that range', async () => {
    const a = await register('/range-a');
    const b = await register('/range-b');
    const failing = new Set<string>();
    const early = await sendTestEvent(acmeAdmin(), a.id);
    const ok = await sendTestEvent(acmeAdmin(), a.id);
    const other = await sendTestEvent(acmeAdmin(), b.id);
    await new Promise((r) => setTimeout(r, 20));
    const boundary = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const late = await sendTestEvent(acmeAdmin(), a.id);
    for (const e of [early, other, late]) failing.add(e.msgId);
    receiver.answer = (req) =>
      failing.has(req.headers['webhook-id'] ?? '') ? { status: 422, body: 'bad' } : { status: 200 };
    await deliverAll();
    for (const e of [early, other, late]) expect((await eventOf(e.eventId)).status).to.equal('failed');
    expect((await eventOf(ok.eventId)).status).to.equal('delivered');
    const from = new Date(boundary.getTime() - 3_600_000).toISOString();
    const result = await replayEvents(acmeAdmin(), a.id, { from, to: boundary.toISOString() });
    expect(result).to.deep.equal({ replayed: 1 });
    expect((await eventOf(early.eventId)).status).to.equal('pending');
    expect((await eventOf(ok.eventId)).status).to.equal('delivered');
    expect((await eventOf(other.eventId)).status).to.equal('failed');
    expect((await eventOf(late.eventId)).status).to.equal('failed');
    failing.clear();
    expect((await deliverDueWebhooks(sys())).delivered).to.equal(1);
    const last = receiver.received.filter((r) => r.path === '/range-a').at(-1);
    expect(last?.headers['webhook-id']).to.equal(early.msgId);
    // A range backwards is empty: nothing replayed.
    expect(await replayEvents(acmeAdmin(), a.id, { from: boundary.toISOString(), to: from })).to.deep.equal({
      replayed: 0,
    });
  });

  it('keeps another company out of attempts and replays (not found)', async () => {
    const ep = await register('/isolated');
    const sent = await sendTestEvent(acmeAdmin(), ep.id);
    await deliverDueWebhooks(sys());
    const nord = ctxOf(world.users.nordAdmin, world.nord);
    expect(await codeOf(listAttempts(nord, ep.id))).to.equal('not_found');
    expect(await codeOf(replayEvents(nord, ep.id, { eventId: sent.eventId }))).to.equal('not_found');
    const nordEp = await registerEndpoint(nord, {
      url: receiver.url('/nord'),
      description: 'nord',
      events: ['ticket.created'],
      orderedPerTicket: false,
    });
    // Naming acme's event through nord's own endpoint finds nothing either.
    expect(await codeOf(replayEvents(nord, nordEp.id, { eventId: sent.eventId }))).to.equal('not_found');
    expect((await listAttempts(nord, nordEp.id)).data).to.deep.equal([]);
  });

  it('purges attempts and finished events after 90 days (the maintenance purge), never waiting ones', async () => {
    const ep = await register('/purge');
    const done = await sendTestEvent(acmeAdmin(), ep.id);
    await deliverDueWebhooks(sys());
    // Written after the delivery run: waiting for the next one.
    const other = await register('/purge-waiting');
    const waiting = await sendTestEvent(acmeAdmin(), other.id);
    const day = 24 * 3_600_000;
    const soon = await purgeExpired(sys(), new Date(Date.now() + 89 * day));
    expect(soon).to.include({ webhookAttempts: 0, webhookEvents: 0 });
    expect((await eventOf(done.eventId)).status).to.equal('delivered');
    const later = await purgeExpired(sys(), new Date(Date.now() + 91 * day));
    expect(later.webhookEvents).to.be.greaterThan(0);
    expect(later.webhookAttempts).to.be.greaterThan(0);
    expect(await WebhookEvent.countDocuments({ _id: done.eventId, tenantId: world.acme._id })).to.equal(0);
    expect(await attemptHistory({ eventId: done.eventId, tenantId: world.acme._id })).to.deep.equal([]);
    expect((await eventOf(waiting.eventId)).status).to.equal('pending');
  });

  it('disables an endpoint after 5 days of failures and mails the client admins once', async () => {
    const ep = await register('/failing');
    await sendTestEvent(acmeAdmin(), ep.id);
    receiver.answer = (r) => (r.path === '/failing' ? { status: 503 } : { status: 200 });
    const start = Date.now();
    await deliverAll();
    const row = await WebhookEndpoint.findOne({ _id: ep.id, tenantId: world.acme._id }).lean().orFail();
    expect(row.failingSince).to.be.instanceOf(Date);
    const day = 24 * 3_600_000;
    expect(await disableFailingEndpoints(sys(), new Date(start + 4 * day))).to.deep.equal({
      disabled: 0,
      mailed: 0,
    });
    const at = new Date(start + 6 * day);
    const first = await disableFailingEndpoints(sys(), at);
    expect(first.disabled).to.equal(1);
    expect(first.mailed).to.be.greaterThan(0);
    const after = await WebhookEndpoint.findOne({ _id: ep.id, tenantId: world.acme._id }).lean().orFail();
    expect(after).to.include({ state: 'disabled', disabledReason: 'failing' });
    // A second run (or one after a crash between the steps) queues no second mail.
    expect(await disableFailingEndpoints(sys(), at)).to.deep.equal({ disabled: 0, mailed: 0 });
    const mails = await OutboxMail.find({ template: 'webhook_disabled', tenantId: world.acme._id }).lean();
    expect(mails.map((m) => m.to)).to.include(world.users.acmeAdmin.email);
    expect(mails).to.have.length(first.mailed);
  });
});
