import { expect } from 'chai';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import type { TicketSummary } from '../../../server/domain/queues/views.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import type { TicketWatchView } from '../../../server/realtime/events.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import {
  ask,
  openSocket,
  record,
  signInForCookie,
  sleep,
  socketFor,
  connected,
  eventually,
  type ClientSocket,
} from '../../support/realtime.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Who may open a socket, and which pushes reach whom: tenants never leak into each other. */
describe('real-time: authentication and tenant isolation', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  const sockets: ClientSocket[] = [];
  const cookies: Record<string, string> = {};
  let queueId: string;

  const open = async (who: keyof World['users']) => {
    const s = await openSocket(tp.url, { cookie: cookies[who] ?? null });
    sockets.push(s);
    return s;
  };

  before(async () => {
    tp = await startTestPortal('rt-access');
    world = await makeWorld();
    for (const who of [
      'admin',
      'operatorAcme',
      'operatorBoth',
      'acmeUser',
      'nordUser',
      'nordAdmin',
    ] as const) {
      cookies[who] = (await signInForCookie(tp.url, world.users[who].email)).cookie;
    }
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Acme complaints', tenantIds: [world.acme.id] }),
    );
    queueId = String(queue._id);
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  it('refuses a socket without a session cookie, with an error the client can read', async () => {
    const err = await openSocket(tp.url, { cookie: null }).then(
      () => null,
      (e: Error & { data?: { code?: string; message?: string } }) => e,
    );
    expect(err?.message).to.equal('unauthenticated');
    expect(err?.data?.code).to.equal('unauthenticated');
    expect(err?.data?.message).to.be.a('string').and.not.equal('');
  });

  it('refuses a forged or stale session cookie', async () => {
    const err = await openSocket(tp.url, { cookie: 'desk.sid=s%3Anot-a-session.AAAA' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('unauthenticated');
  });

  it('refuses a foreign Origin even with a valid cookie, over WebSocket and polling', async () => {
    for (const transports of [['websocket'], ['polling']] as const) {
      const s = socketFor(tp.url, {
        cookie: cookies.operatorAcme,
        origin: 'https://evil.example',
        transports: [...transports],
      });
      const err = await connected(s).then(
        () => null,
        (e: Error) => e,
      );
      s.disconnect();
      expect(err, transports[0]).to.be.an('error');
    }
  });

  it('accepts the portal origin with a valid cookie, over polling too', async () => {
    const s = await openSocket(tp.url, { cookie: cookies.operatorAcme, transports: ['polling'] });
    sockets.push(s);
    const hello = await ask<{ user: { id: string; staff: boolean }; strings: Record<string, string> }>(
      s,
      'hello',
    );
    expect(hello.data?.user.id).to.equal(world.users.operatorAcme.id);
    expect(hello.data?.user.staff).to.equal(true);
    expect(hello.data?.strings['live.overdue']).to.be.a('string');
  });

  it('answers a bad payload with a validation error and unknown queues with not_found', async () => {
    const s = await open('operatorAcme');
    expect((await ask(s, 'queue:sync', { queueId: 42 })).error?.code).to.equal('validation');
    expect((await ask(s, 'ticket:watch', { ref: '../../etc' })).error?.code).to.equal('validation');
    expect((await ask(s, 'queue:sync', { queueId: '0123456789abcdef01234567' })).error?.code).to.equal(
      'not_found',
    );
    const ok = await ask<{ tickets: TicketSummary[] }>(s, 'queue:sync', { queueId });
    expect(ok.data?.tickets).to.be.an('array');
  });

  it('clients cannot use queues (no staff rooms, no queue data)', async () => {
    const s = await open('acmeUser');
    const res = await ask(s, 'queues:counts');
    expect(res.error?.code).to.equal('forbidden');
    expect(res.error?.message).to.be.a('string').and.not.equal('');
    expect((await ask(s, 'ticket:take', { ref: 'ACME-000001' })).error?.code).to.be.oneOf([
      'forbidden',
      'not_found',
    ]);
  });

  it('a Nordhavn client watching an Acme ticket gets not_found and hears nothing of Acme', async () => {
    const acmeTicket = await makeTicket(world.users.acmeUser, world.acme, 'Acme private');
    const nordClient = await open('nordUser');
    const nordStaffless = await open('nordAdmin');
    const heard: unknown[] = [];
    for (const s of [nordClient, nordStaffless])
      s.onAny((event: string, payload: unknown) => heard.push({ event, payload }));

    for (const ref of [acmeTicket.number, String(acmeTicket._id)]) {
      const res = await ask(nordClient, 'ticket:watch', { ref });
      expect(res.error?.code, ref).to.equal('not_found');
      expect(res.data).to.equal(undefined);
    }
    // Typing on a ticket one was never allowed to watch is refused as well.
    expect(
      (await ask(nordClient, 'typing', { ref: String(acmeTicket._id), typing: true })).error?.code,
    ).to.equal('not_found');

    // Acme activity of every kind: new tickets, updates, replies, notes, status changes.
    const staff = ctxOf(world.users.operatorAcme, null);
    const more = await makeTicket(world.users.acmeUser, world.acme, 'Another Acme one');
    await updateTicket(staff, more.number, { priority: 'high' });
    await addReply(staff, acmeTicket.number, { body: 'Public answer', internal: false });
    await addReply(staff, acmeTicket.number, { body: 'Internal note', internal: true });
    await changeStatus(staff, acmeTicket.number, 'pending');
    await sleep(500);
    expect(heard).to.deep.equal([]);
  });

  it('an Acme-only operator hears Acme tickets and never Nordhavn ones', async () => {
    const acmeOnly = await open('operatorAcme');
    const both = await open('operatorBoth');
    const acmeOnlyHeard: Array<{
      event: string;
      payload: { tenantId?: string; ticket?: { tenantId: string } };
    }> = [];
    acmeOnly.onAny((event: string, payload: { tenantId?: string }) => acmeOnlyHeard.push({ event, payload }));
    const bothCreated = record<TicketSummary>(both, 'ticket:created');

    const nordTicket = await makeTicket(world.users.nordUser, world.nord, 'Nordhavn only');
    const staffBoth = ctxOf(world.users.operatorBoth, null);
    await updateTicket(staffBoth, nordTicket.number, { priority: 'urgent' });
    await addReply(staffBoth, nordTicket.number, { body: 'Hej', internal: false });
    const acmeTicket = await makeTicket(world.users.acmeUser, world.acme, 'Acme visible');

    await eventually(() => bothCreated.length >= 2, 5000, 'both tickets at the two-tenant operator');
    await eventually(() => acmeOnlyHeard.some((h) => h.event === 'ticket:created'), 5000, 'the Acme ticket');
    await sleep(300);
    const tenants = acmeOnlyHeard.map((h) => h.payload.tenantId ?? h.payload.ticket?.tenantId);
    expect(tenants).to.not.include(world.nord.id);
    expect(
      acmeOnlyHeard.filter((h) => h.event === 'ticket:created').map((h) => (h.payload as TicketSummary).id),
    ).to.deep.equal([String(acmeTicket._id)]);
    expect(bothCreated.map((t) => t.tenantId).sort()).to.deep.equal([world.acme.id, world.nord.id].sort());
    // The summary carries no description or internal data.
    expect(bothCreated[0]).to.not.have.property('description');
  });

  it('internal notes never reach a client socket; public replies do, without staff data', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Watch me');
    const client = await open('acmeUser');
    const operator = await open('operatorAcme');
    const clientHeard: Array<{ event: string; payload: Record<string, unknown> }> = [];
    client.onAny((event: string, payload: Record<string, unknown>) => clientHeard.push({ event, payload }));
    const staffComments = record<{ internal: boolean }>(operator, 'ticket:commented');

    const cw = await ask<TicketWatchView>(client, 'ticket:watch', { ref: ticket.number });
    expect(cw.data?.ticketId).to.equal(String(ticket._id));
    const ow = await ask<TicketWatchView>(operator, 'ticket:watch', { ref: String(ticket._id) });
    expect(ow.data?.number).to.equal(ticket.number);

    const staff = ctxOf(world.users.operatorAcme, null);
    await addReply(staff, ticket.number, { body: 'SECRET internal reasoning', internal: true });
    await eventually(() => staffComments.length === 1, 5000, 'the note at the operator');
    expect(staffComments[0]?.internal).to.equal(true);
    await addReply(staff, ticket.number, { body: 'Hello from the desk', internal: false });
    await eventually(
      () => clientHeard.some((h) => h.event === 'ticket:commented'),
      5000,
      'the public reply at the client',
    );
    await sleep(300);

    const comments = clientHeard.filter((h) => h.event === 'ticket:commented');
    expect(comments).to.have.length(1);
    expect(comments[0]?.payload.internal).to.equal(false);
    expect(JSON.stringify(clientHeard)).to.not.include('SECRET');
    for (const h of clientHeard) {
      expect(['ticket:commented', 'ticket:activity', 'presence']).to.include(h.event);
      if (h.event !== 'presence')
        expect(Object.keys(h.payload).sort()).to.satisfy((keys: string[]) =>
          keys.every((k) => ['ticketId', 'number', 'status', 'version', 'internal'].includes(k)),
        );
    }
    // Presence to clients names no operator.
    for (const h of clientHeard.filter((x) => x.event === 'presence')) {
      expect(JSON.stringify(h.payload)).to.not.include(world.users.operatorAcme.name);
    }

    // Catching up shows the client the public reply, never the note.
    const since = cw.data?.entries.at(-1)?.at;
    const catchUp = await ask<TicketWatchView>(client, 'ticket:watch', { ref: ticket.number, since });
    const bodies = catchUp.data?.entries.map((e) => e.body) ?? [];
    expect(bodies).to.include('Hello from the desk');
    expect(bodies.join(' ')).to.not.include('SECRET');
    const staffCatchUp = await ask<TicketWatchView>(operator, 'ticket:watch', { ref: ticket.number, since });
    expect(staffCatchUp.data?.entries.map((e) => e.body)).to.include('SECRET internal reasoning');
  });

  it('limits the events one socket may send', async () => {
    const s = await open('operatorAcme');
    const answers = await Promise.all(Array.from({ length: 60 }, () => ask(s, 'hello')));
    const limited = answers.filter((a) => a.error?.code === 'rate_limited');
    expect(limited.length).to.be.greaterThan(0);
    expect(answers.filter((a) => a.data).length).to.be.greaterThan(0);
  });
});
