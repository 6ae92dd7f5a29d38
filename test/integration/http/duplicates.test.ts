import { expect } from 'chai';
import { Queue } from '../../../models/queue.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 5 over HTTP: the form's duplicate check, row marks, close as duplicate, merge. */
describe('duplicates over HTTP', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let operator: Agent;
  let operatorBoth: Agent;
  let acmeClient: Agent;
  let nordClient: Agent;

  before(async () => {
    tp = await startTestPortal('duplicates-http');
    world = await makeWorld();
    operator = await signedInAgent(tp.url, world.users.operatorAcme.email);
    operatorBoth = await signedInAgent(tp.url, world.users.operatorBoth.email);
    acmeClient = await signedInAgent(tp.url, world.users.acmeUser.email);
    nordClient = await signedInAgent(tp.url, world.users.nordUser.email);
  });
  after(() => tp.stop());

  const stored = (tenant: 'acme' | 'nord', number: string) =>
    Ticket.findOne({ tenantId: world[tenant]._id, number }).lean();
  const invoice = (invoiceNumber: string) =>
    ticketInputSchema.parse({
      type: 'invoice',
      subject: `Invoice ${invoiceNumber}`,
      priority: 'normal',
      fields: {
        supplierName: 'Leverandør',
        supplierVat: 'DK12345674',
        invoiceNumber,
        issueDate: '2026-11-02',
        dueDate: '2026-12-02',
        currency: 'DKK',
        amount: 900,
      },
    });
  const post = async (agent: Agent, number: string, action: string, body: Record<string, string>) => {
    const token = csrfFrom((await agent.get(`/tickets/${number}`).expect(200)).text);
    return agent
      .post(`/tickets/${number}/${action}`)
      .type('form')
      .send({ _csrf: token, ...body });
  };

  it("answers the form's duplicate check from the caller's company only", async () => {
    const first = await createTicket(ctxOf(world.users.acmeUser, world.acme), invoice('D-1'), 'portal');
    const url =
      '/tickets/new/invoice/duplicate-check.json?supplierVat=dk%2012345674&invoiceNumber=d-1&issueDate=2026-11-02';
    const mine = (await acmeClient.get(url).expect(200)).body as {
      duplicate: boolean;
      number: string;
      message: string;
    };
    expect(mine.duplicate).to.equal(true);
    expect(mine.number).to.equal(first.number);
    expect(mine.message).to.include(first.number);
    const theirs = (await nordClient.get(url).expect(200)).body as { duplicate: boolean; message: string };
    expect(theirs).to.deep.equal({ duplicate: false, number: null, message: '' });
    // Staff open no tickets: the check is not theirs.
    await operator.get(url).expect(403);
  });

  it('marks a possible duplicate in the queue rows', async () => {
    const a = await createTicket(ctxOf(world.users.acmeUser, world.acme), invoice('Q-1'), 'portal');
    const b = await createTicket(ctxOf(world.users.acmeUser, world.acme), invoice('Q-1'), 'portal');
    const queue = await Queue.create({
      name: 'Dup rows',
      key: 'dup-rows',
      tenantIds: [world.acme._id],
      order: 'oldest',
    });
    const html = (await operator.get(`/queues/${String(queue._id)}`).expect(200)).text;
    const rowOf = (number: string) =>
      html.slice(html.indexOf(`data-number="${number}"`)).split('</tr>')[0] ?? '';
    expect(rowOf(b.number)).to.include('data-testid="duplicate-mark"');
    expect(rowOf(a.number)).to.not.include('data-testid="duplicate-mark"');
  });

  it('closes as duplicate and merges by form posts; across clients it is refused and nothing changes', async () => {
    const original = await makeTicket(world.users.acmeUser, world.acme, 'HTTP original');
    const dup = await makeTicket(world.users.acmeUser, world.acme, 'HTTP duplicate');
    const page = (await operator.get(`/tickets/${dup.number}`).expect(200)).text;
    expect(page).to.include('data-testid="close-duplicate"');
    expect((await acmeClient.get(`/tickets/${dup.number}`).expect(200)).text).to.not.include(
      'data-testid="close-duplicate"',
    );
    const res = await post(operator, dup.number, 'close-duplicate', { original: original.number });
    expect(res.status).to.equal(302);
    const closed = await stored('acme', dup.number);
    expect([closed?.status, closed?.duplicateOf?.number]).to.deep.equal(['closed', original.number]);
    const shown = (await operator.get(`/tickets/${original.number}`).expect(200)).text;
    expect(shown).to.include(dup.number);

    const survivor = await makeTicket(world.users.acmeUser, world.acme, 'HTTP survivor');
    const folded = await makeTicket(world.users.acmeUser, world.acme, 'HTTP folded');
    const merged = await post(operator, folded.number, 'merge', { into: survivor.number });
    expect([merged.status, merged.headers.location]).to.deep.equal([302, `/tickets/${survivor.number}`]);
    const after = await stored('acme', folded.number);
    expect([after?.status, after?.mergedInto?.number]).to.deep.equal(['closed', survivor.number]);
    expect((await operator.get(`/tickets/${folded.number}`).expect(200)).text).to.include(
      'data-testid="merged-into"',
    );
    const created = await TimelineEntry.countDocuments({
      tenantId: world.acme._id,
      ticketId: survivor._id,
      kind: 'created',
    });
    expect(created).to.equal(2);

    // Across clients: an operator serving both is told why (flash after redirect), nothing moves.
    const nord = await makeTicket(world.users.nordUser, world.nord, 'Nord');
    const acme = await makeTicket(world.users.acmeUser, world.acme, 'Acme');
    const refused = await post(operatorBoth, nord.number, 'merge', { into: acme.number });
    expect([refused.status, refused.headers.location]).to.deep.equal([302, `/tickets/${nord.number}`]);
    const flash = (await operatorBoth.get(`/tickets/${nord.number}`).expect(200)).text;
    expect(flash).to.match(/different clients|clienti diversi|forskellige kunder/);
    expect((await stored('nord', nord.number))?.mergedInto).to.equal(null);
    // An operator not serving the other client does not learn it exists.
    await (
      await post(operator, acme.number, 'close-duplicate', { original: nord.number })
    ).status;
    expect((await stored('acme', acme.number))?.status).to.equal('new');
  });
});
