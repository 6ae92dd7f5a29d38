import { expect } from 'chai';
import { t } from '../../../server/i18n/i18n.js';
import { Types } from 'mongoose';
import { InboundMessage } from '../../../models/inbound-message.js';
import { SentMail } from '../../../models/sent-mail.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import { takeTicket } from '../../../server/domain/queues/claims.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { quickContract } from '../../support/frozen-contract.js';
import { tableRows, textOf, textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 6: a home page per role, each showing only what its reader may see. */
describe('a home page per role', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('home-pages');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  const home = async (agent: Agent) => (await agent.get('/').expect(200)).text;
  const numbersIn = (html: string, testId: string) => tableRows(html, testId).map((r) => r[0]);
  const sections = ['home-queues', 'home-portfolio', 'home-jobs', 'home-outbox', 'home-inbound'];
  const shown = (html: string) => sections.filter((s) => html.includes(`data-testid="${s}"`));

  it('shows a client their open tickets, those waiting on them and a "new" button per type: only their own', async () => {
    const me = await makeUser({ role: 'client_user', tenantId: world.acme.id });
    const open = await makeTicket(me, world.acme, 'Still open');
    const asked = await makeTicket(me, world.acme, 'Staff asked me');
    const done = await makeTicket(me, world.acme, 'Already resolved');
    const operator = ctxOf(world.users.operatorAcme, null);
    await changeStatus(operator, asked.number, 'pending');
    await changeStatus(operator, done.number, 'resolved');
    const colleague = await makeTicket(world.users.acmeAdmin, world.acme, 'A colleague asked');
    const foreign = await makeTicket(world.users.nordUser, world.nord, 'Another company');

    const html = await home(await signedInAgent(tp.url, me.email));
    expect(numbersIn(html, 'my-tickets')).to.deep.equal([open.number]);
    expect(numbersIn(html, 'waiting-on-me')).to.deep.equal([asked.number]);
    for (const other of [done, colleague, foreign]) expect(html).to.not.include(other.number);
    for (const type of ['invoice', 'complaint', 'data_entry'])
      expect(html).to.include(`data-testid="new-${type}"`).and.include(`href="/tickets/new/${type}"`);
    // Acme reads Italian; a client sees none of the staff sections nor the list of clients.
    expect(textOf(html)).to.include('In attesa di una tua risposta').and.include('I tuoi ticket aperti');
    expect(shown(html)).to.deep.equal([]);
    expect(html).to.not.include('data-testid="tenant-list"');

    // The other company's client sees their own ticket and nothing of Acme's.
    const nord = await home(await signedInAgent(tp.url, world.users.nordUser.email));
    expect(numbersIn(nord, 'my-tickets')).to.include(foreign.number);
    for (const acme of [open, asked, done, colleague]) expect(nord).to.not.include(acme.number);
    expect(textOfElementWith(nord, 'data-testid="none-waiting"')).to.equal('Intet venter på jer.');
  });

  it('shows an operator their tickets, their queues with counts and the unassigned work breaching soon', async () => {
    const operator = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const lead = ctxOf(world.users.teamLead, null);
    const queue = await createQueue(
      lead,
      queueInputSchema.parse({
        name: `Home complaints ${new Types.ObjectId().toHexString().slice(-6)}`,
        types: 'complaint',
      }),
    );
    // Acme's contract: a first response within an hour, so a new ticket is due within the next hours.
    await quickContract(world.acme._id, 3600, 36_000);
    const mine = await makeTicket(world.users.acmeUser, world.acme, 'Taken by the operator');
    await takeTicket(ctxOf(operator, null), mine.number);
    const waiting = await makeTicket(world.users.acmeUser, world.acme, 'Nobody has it yet');
    const foreign = await makeTicket(world.users.nordUser, world.nord, 'Nordhavn only');

    const html = await home(await signedInAgent(tp.url, operator.email));
    expect(shown(html)).to.deep.equal(['home-queues']);
    expect(numbersIn(html, 'home-mine')).to.deep.equal([mine.number]);
    // Unassigned and due within the hour: breaching soon.
    expect(numbersIn(html, 'home-soon')).to.include(waiting.number).and.not.include(mine.number);
    expect(html).to.not.include(foreign.number);
    const card = textOfElementWith(html, `data-queue-count="${String(queue._id)}"`);
    expect(card).to.match(/^\d+ Home complaints/);
    expect(Number(card?.split(' ')[0])).to.be.at.least(2);
    // The client list stays, the client sections do not.
    expect(html).to.include('data-testid="tenant-list"').and.not.include('data-testid="waiting-on-me"');
  });

  it('shows an account manager their portfolio, one row per client they serve', async () => {
    const html = await home(await signedInAgent(tp.url, world.users.accountManager.email));
    expect(shown(html)).to.deep.equal(['home-portfolio']);
    const codes = [...html.matchAll(/<tr data-tenant="([^"]+)"/g)].map((m) => m[1]);
    expect(codes).to.have.members([world.acme.code, world.nord.code]);
    const narrow = await makeUser({ role: 'account_manager', tenantIds: [world.nord.id] });
    const only = await home(await signedInAgent(tp.url, narrow.email));
    expect([...only.matchAll(/<tr data-tenant="([^"]+)"/g)].map((m) => m[1])).to.deep.equal([
      world.nord.code,
    ]);
  });

  it('shows an admin the health of jobs, the outbox and inbound mail', async () => {
    const now = new Date();
    // A mail given up after its last attempt, and two inbound mails: one taken in, one left half-done.
    await SentMail.create({
      _id: new Types.ObjectId(),
      tenantId: world.acme._id,
      key: `home-test:${new Types.ObjectId().toHexString()}`,
      to: 'nobody@acme.example',
      locale: 'it',
      template: 'ticket-created',
      status: 'failed',
      attempts: 8,
      lastError: '550 mailbox unavailable',
      messageId: `<${new Types.ObjectId().toHexString()}@desk.test>`,
      createdAt: now,
      finishedAt: now,
    });
    await InboundMessage.create({
      tenantId: world.nord._id,
      messageId: `<in-${new Types.ObjectId().toHexString()}@nord.example>`,
      status: 'done',
      from: 'someone@nord.example',
      outcome: 'created',
      ticketNumber: 'NORD-000001',
      claimedAt: now,
      doneAt: now,
    });
    await InboundMessage.create({
      tenantId: world.acme._id,
      messageId: `<in-${new Types.ObjectId().toHexString()}@acme.example>`,
      status: 'processing',
      from: 'slow@acme.example',
      claimedAt: new Date(now.getTime() - 3600_000),
    });

    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const html = await home(admin);
    expect(shown(html)).to.deep.equal(['home-jobs', 'home-outbox', 'home-inbound']);
    expect(Number(textOfElementWith(html, 'data-testid="outbox-failed"'))).to.be.at.least(1);
    expect(textOf(html)).to.include('550 mailbox unavailable').and.include('nobody@acme.example');
    // Named in the reader's language, the server's words beside it.
    expect(textOfElementWith(html, 'data-testid="mail-problem"')).to.equal(
      t('en', 'mail_problems.recipient_refused'),
    );
    expect(Number(textOfElementWith(html, 'data-testid="inbound-received"'))).to.be.at.least(2);
    expect(Number(textOfElementWith(html, 'data-testid="inbound-created"'))).to.be.at.least(1);
    expect(Number(textOfElementWith(html, 'data-testid="inbound-stuck"'))).to.be.at.least(1);
    expect(textOf(html)).to.include('someone@nord.example');
    expect(html).to.include('data-testid="home-jobs"');

    // Nobody else reads the mail log: not an operator, not a client.
    for (const other of [world.users.operatorBoth, world.users.acmeAdmin]) {
      const page = await home(await signedInAgent(tp.url, other.email));
      expect(page).to.not.include('550 mailbox unavailable').and.not.include('someone@nord.example');
    }
  });
});
