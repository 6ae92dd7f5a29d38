import { expect } from 'chai';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { closeLot } from '../../../server/domain/quality/close-lot.js';
import { finishBatch } from '../../../server/domain/quality/finish-batch.js';
import { keyRecord } from '../../../server/domain/quality/key-record.js';
import { recordInspection } from '../../../server/domain/quality/record-inspection.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { webhookPayloadSchemas } from '../../../server/domain/webhooks/payload-schemas.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { webhooksOnEvents } from '../../../jobs/webhooks.js';
import { sweepMissedBusinessEvents } from '../../../server/domain/webhooks/record-business-events.js';
import { systemCtx } from '../../../server/domain/context.js';
import { bodies, userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf } from '../../support/tickets.js';
import { WebhookReceiver, type Received } from '../../support/webhook-receiver.js';
import { fatturaPA } from '../einvoices/builders.js';

const log = pino({ level: 'silent' });

/**
 * Issue 19, item 1: "the e-invoice and quality events once those exist". Receiving an e-invoice
 * and deciding an inspection lot are announced on the bus; the webhook fast path (the portal's
 * listeners, jobs/webhooks.ts) writes each once per subscribed endpoint and delivers it, signed,
 * with a payload the OpenAPI document's schema accepts.
 */
describe('webhook events of e-invoices and quality lots', function () {
  this.timeout(60_000);
  let world: World;
  let stopListeners: () => Promise<void>;
  const receiver = new WebhookReceiver();
  let secret = '';
  let endpointId = '';
  let otherId = '';

  before(async () => {
    await connectTestDb('webhook-business-events');
    world = await makeWorld();
    await receiver.start();
    configureWebhooks({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
    stopListeners = webhooksOnEvents(log);
    const admin = ctxOf(world.users.acmeAdmin, world.acme);
    const ep = await registerEndpoint(admin, {
      url: receiver.url('/business'),
      description: 'ERP',
      events: ['einvoice.received', 'quality.lot_decided'],
      orderedPerTicket: false,
    });
    secret = ep.secret;
    endpointId = ep.id;
    otherId = (
      await registerEndpoint(admin, {
        url: receiver.url('/tickets-only'),
        description: 'CRM',
        events: ['ticket.created'],
        orderedPerTicket: false,
      })
    ).id;
  });
  after(async () => {
    await stopListeners();
    await WebhookEndpoint.updateMany({}, { $set: { state: 'disabled' } }).setOptions({ allTenants: true });
    await receiver.stop();
    configureWebhooks({ allowHosts: [], timeoutMs: 10_000 });
    await dropAndDisconnect();
  });

  /** The verified payloads of this type the receiver got at /business, once `count` arrived. */
  // The payloads' shape is checked against their schema; the assertions read them loosely.
  type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  async function delivered(type: string, count: number): Promise<Array<{ r: Received; data: Data }>> {
    const wh = new Webhook(secret);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const got = receiver.received
        .filter((r) => r.path === '/business')
        .map((r) => ({ r, payload: wh.verify(r.body, r.headers) as { type: string; data: unknown } }))
        .filter((x) => x.payload.type === type);
      if (got.length >= count || Date.now() > deadline)
        return got.map(({ r, payload }) => {
          const parsed = webhookPayloadSchemas[type as keyof typeof webhookPayloadSchemas].safeParse(payload);
          expect(parsed.success, `${r.body}: ${parsed.error?.message ?? ''}`).to.equal(true);
          return { r, data: payload.data as Data };
        });
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const rowsOf = (id: string, type: 'einvoice.received' | 'quality.lot_decided') =>
    WebhookEvent.find({ endpointId: id, type }).setOptions({ allTenants: true }).lean();
  const settle = () => new Promise((res) => setTimeout(res, 300));

  it('einvoice.received: one per invoice ticket, with format, findings by severity and the duplicate', async () => {
    const bytes = Buffer.from(
      fatturaPA({
        bodies: [
          { number: 'WH-1', due: [{ date: '2026-04-30', amount: '122.00' }] },
          { number: 'WH-2', due: [{ date: '2026-04-30', amount: '122.00' }] },
        ],
      }),
    );
    const receipt = await receiveEInvoice(userCtx(world.users.acmeAdmin), { filename: 'wh.xml' }, bytes);
    expect(receipt.invoices).to.have.length(2);
    const got = await delivered('einvoice.received', 2);
    expect(got).to.have.length(2);
    for (const invoice of receipt.invoices) {
      const one = got.find((g) => g.data.ticket.id === String(invoice.ticket.id));
      expect(one, invoice.ticket.number).to.not.equal(undefined);
      const count = (s: string) => invoice.findings.filter((f) => f.severity === s).length;
      expect(one!.data).to.deep.include({
        tenantId: String(world.acme._id),
        format: 'fatturapa',
        findings: { error: count('error'), warning: count('warning'), info: count('info') },
        duplicateOf: null,
      });
      expect(one!.data.ticket).to.deep.equal({
        id: String(invoice.ticket.id),
        number: invoice.ticket.number,
        type: 'invoice',
      });
      expect(one!.data.links.ticket).to.match(new RegExp(`/tickets/${invoice.ticket.number}$`));
    }
    // The same bytes again (a retry): the same tickets, no new event.
    await receiveEInvoice(userCtx(world.users.acmeAdmin), { filename: 'wh.xml' }, bytes);
    await settle();
    expect(await rowsOf(endpointId, 'einvoice.received')).to.have.length(2);
    // The same invoice in other bytes: a new ticket flagged as the first one's duplicate.
    const again = await receiveEInvoice(
      userCtx(world.users.acmeAdmin),
      { filename: 'wh-again.xml' },
      Buffer.concat([bytes, Buffer.from('\n')]),
    );
    const dup = again.invoices[0]!;
    expect(dup.ticket.duplicateOf).to.be.a('string');
    const withDup = await delivered('einvoice.received', 4);
    const dupEvent = withDup.find((g) => g.data.ticket.id === String(dup.ticket.id));
    expect(dupEvent?.data.duplicateOf).to.equal(dup.ticket.duplicateOf);
    // Each webhook-id once; the endpoint that chose only ticket.created got none of these.
    expect(new Set(withDup.map((g) => g.r.headers['webhook-id'])).size).to.equal(withDup.length);
    expect(await rowsOf(otherId, 'einvoice.received')).to.have.length(0);
  });

  /** A keying batch with one sampled record wrong (critical): its lot closed, rejected. */
  async function decidedLot(layoutName: string) {
    const lead = ctxOf(world.users.teamLead, null);
    const op = ctxOf(world.users.operatorAcme, null);
    const layout = await saveLayout(lead, world.acme.id as string, {
      name: layoutName,
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      fields: [
        { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'note', label: 'Note', type: 'text', maxLength: 20, class: 'minor' },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    await startBatch(op, ticket.number, String(layout._id));
    for (let i = 1; i <= 20; i++)
      await keyRecord(op, ticket.number, { values: { supplier_vat: 'IT01234567897', note: `row ${i}` } });
    const lot = await finishBatch(op, ticket.number);
    const [first, ...rest] = lot.seqs;
    await recordInspection(lead, ticket.number, { seq: first!, wrongFields: ['supplier_vat'] });
    for (const seq of rest) await recordInspection(lead, ticket.number, { seq, wrongFields: [] });
    const closed = await closeLot(lead, ticket.number);
    expect(closed.verdict).to.equal('rejected');
    return { ticket, layout, lot, closed };
  }

  it('quality.lot_decided: the batch ticket, layout, verdict, sample size and errors by class', async () => {
    const { ticket, layout, lot, closed } = await decidedLot('Webhook notes');
    const [got] = await delivered('quality.lot_decided', 1);
    expect(got?.data).to.deep.include({
      tenantId: String(world.acme._id),
      ticket: { id: String(ticket._id), number: ticket.number, type: 'data_entry' },
      layout: { id: String(layout._id), name: 'Webhook notes' },
      verdict: 'rejected',
      lot: { id: String(lot._id), round: 1, lotSize: 20, sampleSize: lot.seqs.length },
    });
    expect(got?.data.errorsByClass.critical).to.deep.equal({
      inspected: closed.byClass.critical?.inspected,
      nonconforming: 1,
    });
    await settle();
    expect(await rowsOf(endpointId, 'quality.lot_decided')).to.have.length(1);
  });

  it('never lost: what nobody announced (a crash before the bus) is written by the sweep, once', async () => {
    await stopListeners(); // the process that stored the records died before announcing them
    stopListeners = async () => undefined;
    const bytes = Buffer.from(
      fatturaPA({ bodies: [{ number: 'WH-LOST', due: [{ date: '2026-05-31', amount: '50.00' }] }] }),
    );
    const receipt = await receiveEInvoice(userCtx(world.users.acmeAdmin), { filename: 'lost.xml' }, bytes);
    const { lot } = await decidedLot('Lost notes');
    await settle();
    const keyed = async () =>
      (
        await WebhookEvent.find({ endpointId, sourceId: { $in: [receipt.invoices[0]!.ticket.id, lot._id] } })
          .setOptions({ allTenants: true })
          .lean()
      )
        .map((e) => e.type)
        .sort();
    expect(await keyed()).to.deep.equal([]);
    const sys = systemCtx(log, 'test-sweep');
    expect(await sweepMissedBusinessEvents(sys)).to.equal(2);
    expect(await keyed()).to.deep.equal(['einvoice.received', 'quality.lot_decided']);
    expect(await sweepMissedBusinessEvents(sys)).to.equal(0);
    const rows = await WebhookEvent.find({ endpointId, sourceId: lot._id })
      .setOptions({ allTenants: true })
      .lean();
    const parsed = webhookPayloadSchemas['quality.lot_decided'].safeParse(JSON.parse(rows[0]!.payload));
    expect(parsed.success, parsed.error?.message).to.equal(true);
  });
});
