import { expect } from 'chai';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { WebhookAttempt } from '../../../models/webhook-attempt.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { deliverDueWebhooks } from '../../../server/domain/webhooks/deliver.js';
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
    const attempts = await WebhookAttempt.find({ eventId: first.eventId, tenantId: world.acme._id }).lean();
    expect(attempts.map((a) => a.ok)).to.deep.equal([true]);
    const audit = await AuditEvent.find({ targetId: ep.id, action: 'webhook.test_sent' })
      .setOptions({ allTenants: true })
      .lean();
    expect(audit).to.have.length(2);
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
});
