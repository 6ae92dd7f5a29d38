import { expect } from 'chai';
import { pino } from 'pino';
import { MailKey } from '../../../models/mail-key.js';
import { SlaEvent } from '../../../models/sla-event.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { systemCtx } from '../../../server/domain/context.js';
import { sweepSla } from '../../../server/domain/sla/sweep.js';
import { takeTicket } from '../../../server/domain/queues/claims.js';
import { makeWorld, type World } from '../../support/factories.js';
import { signedInAgent } from '../../support/browser-session.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { tinyContract } from '../../support/tiny-contract.js';
import {
  eventually,
  openSocket,
  record,
  signInForCookie,
  type ClientSocket,
} from '../../support/realtime.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SLA sweep on agenda', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('sla-sweep', { JOBS_ENABLED: 'true', SLA_SWEEP_SECONDS: '0.5' });
    world = await makeWorld();
    await tinyContract(world.acme._id, 2, 6);
  });
  after(() => tp.stop());

  it('records the warning and the breach of a few-second policy on time, once, and escalates', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Tiny SLA');
    await takeTicket(ctxOf(world.users.operatorBoth, null), ticket.number);
    const created = await Ticket.findOne({ tenantId: world.acme._id, number: ticket.number }).lean();
    const sla = created?.sla as { firstResponse: { dueAt: Date } } | null;
    expect(sla?.firstResponse.dueAt).to.be.instanceOf(Date);
    await wait(4500);
    const events = await SlaEvent.find({ tenantId: world.acme._id, ticketId: created?._id })
      .sort({ dueAt: 1 })
      .lean();
    const names = events.map((e) => `${e.target}:${e.kind}:${e.threshold}`);
    expect(names).to.include.members([
      'firstResponse:warning:50',
      'firstResponse:breach:100',
      'resolution:warning:50',
    ]);
    for (const e of events) {
      const lateness = e.recordedAt.getTime() - e.dueAt.getTime();
      expect(lateness, `${e.target}:${e.kind} lateness`).to.be.lessThan(1500);
    }
    const breach = events.find((e) => e.kind === 'breach' && e.target === 'firstResponse');
    const entries = await TimelineEntry.countDocuments({
      tenantId: world.acme._id,
      ticketId: created?._id,
      kind: 'sla',
    });
    expect(entries).to.equal(events.length);
    const after = await Ticket.findOne({ tenantId: world.acme._id, _id: created?._id }).lean();
    expect(after?.priority).to.equal('high');
    expect(
      (after?.sla as { firstResponse: { breachedAt: Date | null } }).firstResponse.breachedAt?.getTime(),
    ).to.equal(breach?.dueAt.getTime());
    // The assignee and the team lead serving Acme hear of the breach, once each (one key per recipient).
    const keys = await MailKey.find({
      _id: { $regex: `^sla:${String(created?._id)}:firstResponse:breach` },
    }).lean();
    expect(keys.map((k) => String(k._id).split(':').pop()).sort()).to.deep.equal(
      [world.users.operatorBoth.email, world.users.teamLead.email].sort(),
    );
    const breachMails = await tp.smtp.waitFor(
      (m) => (m.subject ?? '').includes(ticket.number) && (m.subject ?? '').includes('Deadline missed'),
    );
    expect(breachMails.subject).to.include('first response');
  });

  it('pushes the new SLA state to the sockets of operators serving the tenant, and only theirs', async () => {
    const { cookie } = await signInForCookie(tp.url, world.users.operatorBoth.email);
    const { cookie: otherCookie } = await signInForCookie(tp.url, world.users.nordUser.email);
    const sockets: ClientSocket[] = [
      await openSocket(tp.url, { cookie }),
      await openSocket(tp.url, { cookie: otherCookie }),
    ];
    try {
      const [operator, client] = sockets as [ClientSocket, ClientSocket];
      const seen = record<{ number: string; state: string }>(operator, 'sla:state');
      const leaked = record(client, 'sla:state');
      const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Live SLA');
      await eventually(() => seen.some((e) => e.number === ticket.number && e.state === 'breached'), 8000);
      expect(leaked).to.deep.equal([]);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  });

  it("shows agenda's own job state to admins on the scheduled-jobs page", async () => {
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const page = await admin.get('/admin/jobs').expect(200);
    expect(page.text)
      .to.include('sla.sweep')
      .and.include('mail.deliver-outbox')
      .and.include('maintenance.purge-expired');
    await (await signedInAgent(tp.url, world.users.teamLead.email)).get('/admin/jobs').expect(403);
  });

  it('records each event once when two workers sweep at the same time', async () => {
    await tinyContract(world.nord._id, 1, 2);
    const tickets = await Promise.all(
      Array.from({ length: 5 }, (_, i) => makeTicket(world.users.nordUser, world.nord, `Two workers ${i}`)),
    );
    await wait(2500);
    const log = pino({ level: 'silent' });
    await Promise.all([
      sweepSla(systemCtx(log, 'w1')),
      sweepSla(systemCtx(log, 'w2')),
      sweepSla(systemCtx(log, 'w3')),
    ]);
    for (const t of tickets) {
      const events = await SlaEvent.find({ tenantId: world.nord._id, ticketId: t._id }).lean();
      const keys = events.map((e) => `${e.target}:${e.kind}:${e.threshold}`);
      expect(new Set(keys).size).to.equal(keys.length);
      expect(keys).to.include.members(['firstResponse:breach:100', 'resolution:breach:100']);
      const timeline = await TimelineEntry.countDocuments({
        tenantId: world.nord._id,
        ticketId: t._id,
        kind: 'sla',
      });
      expect(timeline).to.equal(events.length);
    }
  });
});
