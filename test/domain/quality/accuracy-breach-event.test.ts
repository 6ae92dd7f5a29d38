import { expect } from 'chai';
import { pino } from 'pino';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { domainEvents, type DomainEvents } from '../../../server/domain/events.js';
import { renderMail } from '../../../server/domain/mail/mailer.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { webhookPayloadSchemas } from '../../../server/domain/webhooks/payload-schemas.js';
import {
  recordBusinessWebhookEvent,
  sweepMissedBusinessEvents,
} from '../../../server/domain/webhooks/record-business-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { dataEntryBatch, deliveryNote, saveTestLayout } from '../../support/keying.js';
import { ctxOf } from '../../support/tickets.js';

const log = pino({ level: 'silent' });

/**
 * Issue #18 item 5, the breach's consequences: a lot closing that records a breach of the
 * layout's accuracy target raises `quality.accuracy_breached` once, the webhook feature offers it
 * (written once per endpoint, by the listener or the sweep, with a payload its schema accepts),
 * and the client's account managers are mailed once.
 */
describe('the accuracy breach event, its webhook and its mail', function () {
  this.timeout(60_000);
  let world: World;
  let layoutId = '';
  const raised: Array<DomainEvents['quality.accuracy_breached']> = [];
  let off: () => void = () => undefined;

  before(async () => {
    await connectTestDb('accuracy-breach-event');
    world = await makeWorld();
    const layout = await saveTestLayout(world, { name: 'Breach notes', accuracyTarget: 0.995 });
    layoutId = String(layout._id);
    off = domainEvents.on('quality.accuracy_breached', (e) => raised.push(e));
  });
  after(async () => {
    off();
    await dropAndDisconnect();
  });

  /** A batch of 20 records (all sampled), three of them wrong in both fields: the lot is closed. */
  async function closedLot() {
    const lead = ctxOf(world.users.teamLead, null);
    const op = ctxOf(world.users.operatorAcme, null);
    const ticket = await dataEntryBatch(world, layoutId);
    for (let i = 1; i <= 20; i++) await keyRecord(op, ticket.number, { values: deliveryNote(i) });
    const lot = await finishBatch(op, ticket.number);
    for (const [i, seq] of lot.seqs.entries())
      await recordInspection(lead, ticket.number, {
        seq,
        wrongFields: i < 3 ? ['supplier_vat', 'note'] : [],
      });
    await closeLot(lead, ticket.number);
    return { ticket, lot, lead };
  }

  it('raises the event once per breach, mails the account manager once, and offers it as a webhook', async () => {
    const admin = ctxOf(world.users.acmeAdmin, world.acme);
    const ep = await registerEndpoint(admin, {
      url: 'https://erp.example.com/hooks',
      description: 'ERP',
      events: ['quality.accuracy_breached'],
      orderedPerTicket: false,
    });
    const { ticket, lot, lead } = await closedLot();
    expect(raised).to.have.length(1);
    const [breach] = await AccuracyBreach.find({ tenantId: world.acme._id }).lean();
    expect(breach?.lotId && String(breach.lotId)).to.equal(String(lot._id));
    const e = raised[0]!;
    expect(String(e.sourceId)).to.equal(String(breach!._id));
    expect(e.breach).to.deep.include({ period: breach!.period, target: 0.995, inspected: breach!.inspected });
    expect(e.ticket).to.deep.equal({ _id: ticket._id, number: ticket.number, type: 'data_entry' });
    expect(e.breach.upper).to.be.below(0.995);

    // Closing again (completing a closing cut short) and another lot of the month raise nothing new.
    await closeLot(lead, ticket.number).catch(() => undefined);
    await closedLot();
    expect(raised).to.have.length(1);

    const mails = await OutboxMail.find({ template: 'accuracy_breach' })
      .setOptions({ allTenants: true })
      .lean();
    expect(mails.map((m) => [m.to, m.template])).to.deep.equal([
      [world.users.accountManager.email, 'accuracy_breach'],
    ]);
    const rendered = renderMail({
      to: mails[0]!.to,
      locale: mails[0]!.locale as 'en',
      template: 'accuracy_breach',
      params: mails[0]!.params as Record<string, string>,
    });
    expect(rendered.subject).to.match(/^Accuracy target missed: .*, Breach notes \([A-Z][a-z]+ \d{4}\)$/);
    expect(rendered.text).to.contain('below its target of 99.50 %');
    expect(rendered.text).to.match(/\/reports\/[0-9a-f]{24}\?from=\d{4}-\d{2}-01&to=/);

    // The webhook feature: the event once per endpoint, whoever writes it; the payload as documented.
    const ctx = systemCtx(log, 'test-breach');
    expect(await recordBusinessWebhookEvent(ctx, 'quality.accuracy_breached', e)).to.equal(1);
    expect(await recordBusinessWebhookEvent(ctx, 'quality.accuracy_breached', e)).to.equal(0);
    const rows = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
    expect(rows.map((r) => r.type)).to.deep.equal(['quality.accuracy_breached']);
    const payload = JSON.parse(rows[0]!.payload) as { data: Record<string, unknown> };
    const parsed = webhookPayloadSchemas['quality.accuracy_breached'].safeParse(payload);
    expect(parsed.success, parsed.error?.message).to.equal(true);
    expect(payload.data.layout).to.deep.equal({ id: layoutId, name: 'Breach notes' });
    // Lost before the bus (a crash): the sweep writes it, once.
    await WebhookEvent.deleteMany({ endpointId: ep.id }).setOptions({ allTenants: true });
    expect(await sweepMissedBusinessEvents(ctx)).to.equal(1);
    expect(await sweepMissedBusinessEvents(ctx)).to.equal(0);
  });
});
