import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { takeTicket } from '../../../server/domain/queues/claims.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { webhookPayloadSchemas } from '../../../server/domain/webhooks/payload-schemas.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import type { Types } from 'mongoose';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { resetCaches } from '../../../server/domain/caches.js';

/** A 24x7 contract whose first-response target is seconds long (warning at 50 %). */
async function tinyContract(
  tenantId: Types.ObjectId,
  firstResponseSeconds: number,
  resolutionSeconds: number,
) {
  const calendar = await SlaCalendar.create({
    tenantId,
    name: 'Always',
    timeZone: 'Europe/Rome',
    alwaysOpen: true,
    weekly: [],
    holidays: [],
    closures: [],
  });
  await SlaPolicy.create({
    tenantId,
    version: 1,
    calendarId: calendar._id,
    targets: ticketTypes.flatMap((type) =>
      priorities.map((priority) => ({
        type,
        priority,
        firstResponseMinutes: firstResponseSeconds / 60,
        resolutionMinutes: resolutionSeconds / 60,
      })),
    ),
    warnAt: [50],
    escalation: { raisePriority: false, notifyClient: false },
    createdBy: { id: null, name: 'test' },
  });
  resetCaches(); // written behind the domain's back
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(100);
  }
}

/**
 * Issue 19, items 1-3, in the running portal: the fast path (a timeline entry becomes its events,
 * written events are delivered at once) and the agenda jobs (SLA events, retries), with the
 * receiver allowed by WEBHOOK_ALLOW_HOSTS.
 */
describe('webhooks in the running portal', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  const receiver = new WebhookReceiver();

  before(async () => {
    await receiver.start();
    tp = await startTestPortal('webhooks', { JOBS_ENABLED: 'true', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
    world = await makeWorld();
  });
  after(async () => {
    await tp.stop();
    await receiver.stop();
  });

  it('delivers a new ticket, its assignment and its SLA warning and breach within seconds, signed', async () => {
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: receiver.url('/portal'),
      description: 'ERP',
      events: ['ticket.created', 'ticket.assigned', 'ticket.sla_warning', 'ticket.sla_breach'],
      orderedPerTicket: true,
    });
    await tinyContract(world.acme._id, 2, 600);
    const started = Date.now();
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Webhook in the portal');
    await until('the created event', 5_000, () => receiver.received.length >= 1);
    const firstMs = Date.now() - started;
    await takeTicket(ctxOf(world.users.operatorBoth, null), ticket.number);
    await until('the SLA breach', 20_000, () =>
      receiver.received.some((r) => r.body.includes('ticket.sla_breach')),
    );
    const wh = new Webhook(ep.secret);
    const types = receiver.received.map((r) => {
      const payload = wh.verify(r.body, r.headers) as { type: keyof typeof webhookPayloadSchemas };
      expect(webhookPayloadSchemas[payload.type].safeParse(payload).success, r.body).to.equal(true);
      return payload.type;
    });
    expect(types[0]).to.equal('ticket.created');
    expect(types).to.include.members(['ticket.assigned', 'ticket.sla_warning', 'ticket.sla_breach']);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).to.equal(types.length);
    // Marked delivered right after the answer arrives.
    await until('every event marked delivered', 5_000, async () => {
      const rows = await WebhookEvent.find({ endpointId: ep.id }).setOptions({ allTenants: true }).lean();
      return rows.length === types.length && rows.every((r) => r.status === 'delivered');
    });
    expect(firstMs, 'created event delivered by the fast path').to.be.lessThan(3_000);
  });
});
