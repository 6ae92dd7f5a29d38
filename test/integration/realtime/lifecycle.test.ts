import { expect } from 'chai';
import { setStaffStatus, updateStaff } from '../../../server/domain/auth/staff.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import type { TicketSummary } from '../../../server/domain/queues/views.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import type { PresenceView, QueueSyncView, TicketWatchView } from '../../../server/realtime/events.js';
import { postForm } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import {
  ask,
  connected,
  disconnection,
  eventually,
  openSocket,
  record,
  signInForCookie,
  sleep,
  socketFor,
  type ClientSocket,
} from '../../support/realtime.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Connections that drop and come back, users who leave or are disabled, who is looking. */
describe('real-time: reconnect, revocation and presence', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let queueId: string;
  const sockets: ClientSocket[] = [];
  const track = (s: ClientSocket) => (sockets.push(s), s);

  before(async () => {
    tp = await startTestPortal('rt-lifecycle');
    world = await makeWorld();
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({ name: 'Everything Acme', tenantIds: [world.acme.id] }),
    );
    queueId = String(queue._id);
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  it('a dropped connection catches up with queue:sync after reconnecting', async () => {
    const { cookie } = await signInForCookie(tp.url, world.users.operatorAcme.email);
    const socket = track(socketFor(tp.url, { cookie }));
    await connected(socket);
    const before = await ask<QueueSyncView>(socket, 'queue:sync', { queueId });
    const known = new Set(before.data?.tickets.map((t) => t.id));

    socket.disconnect();
    const missed = [];
    for (let i = 0; i < 3; i++)
      missed.push(await makeTicket(world.users.acmeUser, world.acme, `While offline ${i}`));
    const heard = record<TicketSummary>(socket, 'ticket:created');

    await connected(socket);
    const after = await ask<QueueSyncView>(socket, 'queue:sync', { queueId });
    const ids = after.data?.tickets.map((t) => t.id) ?? [];
    for (const t of missed) expect(ids).to.include(String(t._id));
    expect(ids.filter((id) => !known.has(id))).to.have.length(3);
    expect(heard).to.deep.equal([]); // nothing is replayed: the sync is the catch-up
    expect(after.data?.counts.queues.find((q) => q.id === queueId)?.count).to.equal(ids.length);
    expect(after.data?.filter.tenantIds).to.deep.equal([world.acme.id]);

    // Live again: the next ticket arrives as a push.
    const live = await makeTicket(world.users.acmeUser, world.acme, 'Back online');
    await eventually(() => heard.some((t) => t.id === String(live._id)), 5000, 'the live push');
  });

  it('a ticket page catches up on entries since its latest one', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Timeline catch-up');
    const { cookie } = await signInForCookie(tp.url, world.users.acmeUser.email);
    const client = track(await openSocket(tp.url, { cookie }));
    const first = await ask<TicketWatchView>(client, 'ticket:watch', { ref: ticket.number });
    expect(first.data?.entries.map((e) => e.kind)).to.deep.equal(['created']);
    const created = first.data?.entries[0];
    expect(created?.summary?.lines[0]).to.be.a('string').and.not.equal('');
    expect(created?.atText).to.be.a('string').and.not.equal('');

    await addReply(ctxOf(world.users.operatorAcme, null), ticket.number, {
      body: 'First answer',
      internal: false,
    });
    const next = await ask<TicketWatchView>(client, 'ticket:watch', {
      ref: ticket.number,
      since: created?.at,
    });
    const kinds = next.data?.entries.map((e) => e.kind) ?? [];
    // The reply and the status change it caused (new -> open), plus at most the entry at the same instant.
    expect(kinds).to.include('reply');
    expect(kinds).to.include('status');
    expect(next.data?.status).to.equal('open');
    expect(next.data?.version).to.be.greaterThan(first.data?.version ?? 0);
  });

  it('disabling a user (setStaffStatus) drops their socket, and it cannot come back', async () => {
    const victim = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const { cookie } = await signInForCookie(tp.url, victim.email);
    const socket = track(await openSocket(tp.url, { cookie }));
    const gone = disconnection(socket);
    await setStaffStatus(ctxOf(world.users.admin, null), victim.id, 'disabled');
    expect(await gone).to.equal('io server disconnect');
    const again = await openSocket(tp.url, { cookie }).then(
      () => null,
      (e: Error) => e,
    );
    expect(again?.message).to.equal('unauthenticated');
  });

  it('taking a tenant away from an operator drops their socket; back, they hear only what they still serve', async () => {
    const op = await makeUser({ role: 'operator', tenantIds: [world.acme.id, world.nord.id] });
    const { cookie } = await signInForCookie(tp.url, op.email);
    const socket = track(await openSocket(tp.url, { cookie }));
    const gone = disconnection(socket);
    await updateStaff(ctxOf(world.users.admin, null), op.id, {
      name: op.name,
      role: 'operator',
      tenantIds: [world.acme.id],
      locale: null,
    });
    expect(await gone).to.equal('io server disconnect');
    const again = track(await openSocket(tp.url, { cookie }));
    const heard = record<TicketSummary>(again, 'ticket:created');
    await makeTicket(world.users.nordUser, world.nord, 'No longer yours');
    const acme = await makeTicket(world.users.acmeUser, world.acme, 'Still yours');
    await eventually(() => heard.some((t) => t.id === String(acme._id)), 5000, 'the Acme ticket');
    await sleep(200);
    expect(heard.map((t) => t.tenantId)).to.deep.equal([world.acme.id]);
  });

  it('signing out drops the socket of that user', async () => {
    const { agent, cookie } = await signInForCookie(tp.url, world.users.operatorBoth.email);
    const socket = track(await openSocket(tp.url, { cookie }));
    const gone = disconnection(socket);
    const res = await postForm(agent, '/', '/logout', {});
    expect(res.status).to.equal(302);
    expect(await gone).to.equal('io server disconnect');
    const again = await openSocket(tp.url, { cookie }).then(
      () => null,
      (e: Error) => e,
    );
    expect(again?.message).to.equal('unauthenticated');
  });

  it('presence: staff see names, the client sees "an operator"; typing reaches the others, not the typist', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Who is here');
    const ticketId = String(ticket._id);
    const opCookie = (await signInForCookie(tp.url, world.users.operatorAcme.email)).cookie;
    const leadCookie = (await signInForCookie(tp.url, world.users.teamLead.email)).cookie;
    const clientCookie = (await signInForCookie(tp.url, world.users.acmeUser.email)).cookie;
    const operator = track(await openSocket(tp.url, { cookie: opCookie }));
    const lead = track(await openSocket(tp.url, { cookie: leadCookie }));
    const client = track(await openSocket(tp.url, { cookie: clientCookie }));
    const atOperator = record<PresenceView>(operator, 'presence');
    const atLead = record<PresenceView>(lead, 'presence');
    const atClient = record<PresenceView>(client, 'presence');

    for (const s of [operator, lead, client])
      expect((await ask(s, 'ticket:watch', { ref: ticketId })).data).to.not.equal(undefined);
    await eventually(() => (atLead.at(-1)?.viewers.length ?? 0) === 3, 5000, 'three viewers at the lead');
    const names = atLead
      .at(-1)
      ?.viewers.map((v) => v.name)
      .sort();
    expect(names).to.deep.equal(
      [world.users.operatorAcme.name, world.users.teamLead.name, world.users.acmeUser.name].sort(),
    );
    await eventually(
      () => atClient.some((p) => p.viewers.some((v) => v.operator)),
      5000,
      'the client sees staff',
    );
    const seenByClient = atClient.at(-1) as PresenceView;
    expect(seenByClient.viewers.filter((v) => v.operator)).to.have.length(1);
    expect(JSON.stringify(atClient)).to.not.include(world.users.operatorAcme.name);
    expect(JSON.stringify(atClient)).to.not.include(world.users.operatorAcme.id);

    const operatorHeardBefore = atOperator.length;
    expect((await ask(operator, 'typing', { ref: ticketId, typing: true })).data).to.deep.equal({ ok: true });
    await eventually(
      () => atLead.some((p) => p.typing.some((x) => x.id === world.users.operatorAcme.id)),
      5000,
      'typing at the lead',
    );
    await eventually(
      () => atClient.some((p) => p.typing.some((x) => x.operator)),
      5000,
      'typing at the client',
    );
    await sleep(200);
    expect(atOperator.slice(operatorHeardBefore).some((p) => p.typing.length)).to.equal(false);

    await ask(operator, 'typing', { ref: ticketId, typing: false });
    await eventually(() => atLead.at(-1)?.typing.length === 0, 5000, 'typing stopped');

    // Leaving (unwatch, or a closed tab) updates everybody else.
    await ask(lead, 'ticket:unwatch', { ref: ticketId });
    client.disconnect();
    await eventually(() => atOperator.at(-1)?.viewers.length === 1, 5000, 'only the operator left');
  });
});
