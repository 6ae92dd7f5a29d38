import { expect } from 'chai';
import { Queue } from '../../../models/queue.js';
import { Ticket } from '../../../models/ticket.js';
import { makeCtx } from '../../../server/domain/context.js';
import { takeNext, takeTicket } from '../../../server/domain/queues/claims.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import { csrfFrom, postForm, signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { alertText } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

describe('queues: claiming, get next, assignment', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('queues');
    world = await makeWorld();
  });
  after(() => tp.stop());

  const staffCtx = (key: 'operatorBoth' | 'operatorAcme' | 'teamLead' | 'admin') =>
    ctxOf(world.users[key], null);

  it('lets a team lead define a queue that operators then see, narrowed to their tenants', async () => {
    const lead = await signedInAgent(tp.url, world.users.teamLead.email);
    const bad = await postForm(lead, '/queues/manage/new', '/queues/manage', { name: 'x' });
    expect(bad.status).to.equal(422);
    const res = await postForm(lead, '/queues/manage/new', '/queues/manage', {
      name: 'Complaints',
      types: 'complaint',
      order: 'priority',
    });
    expect(res.status).to.equal(302);
    const queue = await Queue.findOne({ name: 'Complaints' }).lean();
    await makeTicket(world.users.acmeUser, world.acme, 'Acme complaint A');
    await makeTicket(world.users.nordUser, world.nord, 'Nordhavn complaint N');

    const acmeOnly = await signedInAgent(tp.url, world.users.operatorAcme.email);
    const page = await acmeOnly.get(`/queues/${String(queue?._id)}`).expect(200);
    expect(page.text).to.include('Acme complaint A').and.not.include('Nordhavn complaint N');
    const both = await signedInAgent(tp.url, world.users.operatorBoth.email);
    const all = await both.get(`/queues/${String(queue?._id)}`).expect(200);
    expect(all.text).to.include('Acme complaint A').and.include('Nordhavn complaint N');
    const index = await both.get('/queues').expect(200);
    expect(index.text).to.include('Complaints');
    // Clients and account managers do not work queues.
    await (await signedInAgent(tp.url, world.users.acmeUser.email)).get('/queues').expect(403);
    await (
      await signedInAgent(tp.url, world.users.accountManager.email)
    )
      .get(`/queues/${String(queue?._id)}`)
      .expect(403);
  });

  it('gives a contested ticket to exactly one of 50 concurrent takers and names the winner to the others', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Contested');
    const ctx = staffCtx('operatorBoth');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        takeTicket(makeCtx({ ...ctx, requestId: `r${i}` }), ticket.number),
      ),
    );
    // The same operator retrying gets their ticket back; a different one would lose.
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(50);
    const other = await takeTicket(staffCtx('operatorAcme'), ticket.number).catch(
      (e: unknown) => e as Error & { messageKey?: string; params?: Record<string, string> },
    );
    expect((other as { messageKey?: string }).messageKey).to.equal('queues.taken_by');
    expect((other as { params?: Record<string, string> }).params?.name).to.equal(
      world.users.operatorBoth.name,
    );
    const stored = await Ticket.findOne({ tenantId: world.acme._id, number: ticket.number }).lean();
    expect(stored?.assignee?.name).to.equal(world.users.operatorBoth.name);
    expect(stored?.status).to.equal('open');

    const fresh = await makeTicket(world.users.acmeUser, world.acme, 'Race of many');
    const racers = [
      staffCtx('operatorBoth'),
      staffCtx('operatorAcme'),
      staffCtx('teamLead'),
      staffCtx('admin'),
    ];
    const race = await Promise.allSettled(
      Array.from({ length: 48 }, (_, i) => takeTicket(racers[i % racers.length] ?? ctx, fresh.number)),
    );
    const winners = new Set(
      race
        .filter((r) => r.status === 'fulfilled')
        .map(
          (r) =>
            (r as PromiseFulfilledResult<{ assignee?: { name?: string | null } | null }>).value.assignee
              ?.name,
        ),
    );
    expect(winners.size).to.equal(1);
  });

  it('shows the loser of a take a message, not an error page', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Taken in the browser');
    const a = await signedInAgent(tp.url, world.users.operatorBoth.email);
    const b = await signedInAgent(tp.url, world.users.operatorAcme.email);
    const pageB = await b.get(`/tickets/${ticket.number}`).expect(200);
    const won = await postForm(a, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/take`, {});
    expect(won.status).to.equal(302);
    const lost = await b
      .post(`/tickets/${ticket.number}/take`)
      .type('form')
      .send({ _csrf: csrfFrom(pageB.text) })
      .expect(302);
    const after = await b.get(lost.headers.location ?? '/').expect(200);
    expect(alertText(after.text) ?? after.text).to.include(
      `Too late: ${world.users.operatorBoth.name} took this ticket.`,
    );
  });

  it('hands out the most urgent ticket first with Get next, never the same one twice', async () => {
    const queue = await Queue.create({
      name: 'Urgency',
      key: 'urgency-test',
      tenantIds: [world.nord._id],
      order: 'priority',
    });
    const low = await makeTicket(world.users.nordUser, world.nord, 'low one');
    const urgent = await makeTicket(world.users.nordUser, world.nord, 'urgent one');
    await updateTicket(staffCtx('admin'), low.number, { priority: 'low' });
    await updateTicket(staffCtx('admin'), urgent.number, { priority: 'urgent' });
    const first = await takeNext(staffCtx('operatorBoth'), String(queue._id));
    expect(first?.number).to.equal(urgent.number);
    // The Acme-only operator serves no tenant of this queue: for them it does not exist.
    const hidden = await takeNext(staffCtx('operatorAcme'), String(queue._id)).catch(
      (e: unknown) => e as { code?: string },
    );
    expect((hidden as { code?: string }).code).to.equal('not_found');
    const many = await Promise.all(
      Array.from({ length: 10 }, () => takeNext(staffCtx('teamLead'), String(queue._id))),
    );
    const got = many.filter(Boolean).map((t) => t?.number);
    expect(new Set(got).size).to.equal(got.length);
    expect(got).to.not.include(urgent.number);
  });

  it('lets a team lead assign and reassign, refusing someone who does not serve the tenant', async () => {
    const ticket = await makeTicket(world.users.nordUser, world.nord, 'To assign');
    const lead = await signedInAgent(tp.url, world.users.teamLead.email);
    const wrong = await postForm(lead, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/assign`, {
      userId: String(world.users.operatorAcme._id),
    });
    expect(wrong.status).to.equal(422);
    const ok = await postForm(lead, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/assign`, {
      userId: String(world.users.operatorBoth._id),
    });
    expect(ok.status).to.equal(302);
    const stored = await Ticket.findOne({ tenantId: world.nord._id, number: ticket.number }).lean();
    expect(stored?.assignee?.name).to.equal(world.users.operatorBoth.name);
    const operator = await signedInAgent(tp.url, world.users.operatorBoth.email);
    await postForm(operator, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/release`, {});
    expect(
      (await Ticket.findOne({ tenantId: world.nord._id, number: ticket.number }).lean())?.assignee,
    ).to.equal(null);
    // Operators cannot assign.
    const denied = await postForm(operator, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/assign`, {
      userId: String(world.users.operatorBoth._id),
    });
    expect(denied.status).to.equal(403);
  });

  it('warns before sending a reply when someone else replied meanwhile', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Collision');
    const a = await signedInAgent(tp.url, world.users.operatorBoth.email);
    const b = await signedInAgent(tp.url, world.users.operatorAcme.email);
    const pageA = await a.get(`/tickets/${ticket.number}`).expect(200);
    const seenAt = /name="seenAt" value="([^"]+)"/.exec(pageA.text)?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 20));
    await postForm(b, `/tickets/${ticket.number}`, `/tickets/${ticket.number}/replies`, {
      body: 'B answers first',
    });
    const token = csrfFrom(pageA.text);
    const warned = await a
      .post(`/tickets/${ticket.number}/replies`)
      .type('form')
      .send({ _csrf: token, body: 'A answers too', seenAt });
    expect(warned.status).to.equal(409);
    expect(warned.text)
      .to.include('data-testid="collision"')
      .and.include('B answers first')
      .and.include('A answers too');
    const sent = await a
      .post(`/tickets/${ticket.number}/replies`)
      .type('form')
      .send({ _csrf: token, body: 'A answers too', seenAt, confirm: 'true' });
    expect(sent.status).to.equal(302);
  });
});
