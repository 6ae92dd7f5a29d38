import { expect } from 'chai';
import type { Types } from 'mongoose';
import { pino } from 'pino';
import { AuditEvent } from '../../../models/audit-event.js';
import { InboundMessage } from '../../../models/inbound-message.js';
import { LegalHold } from '../../../models/legal-hold.js';
import { LoginThrottle } from '../../../models/login-throttle.js';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { verifyAuditChain } from '../../../server/domain/audit/verify-audit-chain.js';
import { systemCtx } from '../../../server/domain/context.js';
import { decidePrivacyRequest } from '../../../server/domain/privacy/decide-privacy-request.js';
import {
  claimErasure,
  erasePerson,
  finishInterruptedErasures,
} from '../../../server/domain/privacy/erase-person.js';
import { requestPrivacyAction } from '../../../server/domain/privacy/request-privacy-action.js';
import { openAttachment, storeAttachments } from '../../../server/domain/tickets/attachments.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { getTicket, listTickets } from '../../../server/domain/tickets/queries.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import type { AppError } from '../../../server/errors/app-error.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeSubject, tracesIn } from '../../support/privacy.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { complaintInput, ctxOf, makeAttachment, makeTicket, tinyPng } from '../../support/tickets.js';

const NAME = 'Giulia Bianchi';
const EMAIL = 'giulia.bianchi@cliente.example';
const PHONE = '+39 333 123 4567';
/** How the person could still be written anywhere: the name in any case, the address, the number with any spacing. */
const traces = [/giulia\s+bianchi/i, /giulia\.bianchi@/i, /333[\s.\-/]*123[\s.\-/]*4567/];
const tracesOf = (except: Types.ObjectId) => tracesIn(traces, except);

const invoiceInput = () =>
  ticketInputSchema.parse({
    type: 'invoice',
    subject: 'Invoice from Carta Nord',
    fields: {
      supplierName: 'Carta Nord S.r.l.',
      supplierVat: 'IT 00743110157',
      invoiceNumber: 'CN-2026/7',
      issueDate: '2026-03-02',
      dueDate: '2026-04-01',
      amount: 980,
      currency: 'eur',
    },
  });

/** Issue 20, item 4: erasure leaves no trace of the person, restricts what the law keeps, respects holds, resumes. */
describe('erasure of a data subject (domain)', function () {
  this.timeout(120_000);
  let world: World;
  const sys = () => systemCtx(pino({ level: 'silent' }), 'erasure-test');
  before(async () => {
    await connectTestDb('privacy-erasure');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  async function approvedErasure(extra: Record<string, string> = {}) {
    const request = await requestPrivacyAction(ctxOf(world.users.acmeAdmin, world.acme), {
      kind: 'erasure',
      email: EMAIL,
      name: NAME,
      phone: PHONE,
      ...extra,
    });
    await decidePrivacyRequest(ctxOf(world.users.admin, null), String(request._id), { decision: 'approve' });
    return String(request._id);
  }

  it('pseudonymises the person everywhere, deletes their files and mail, restricts their invoices, and touches nothing else', async () => {
    const person = await makeSubject(world.acme.id, EMAIL, NAME);
    const namesake = await makeUser({ role: 'client_user', tenantId: world.nord.id, name: NAME });
    const theirs = ctxOf(person, world.acme);
    const complaint = await createTicket(
      theirs,
      {
        ...complaintInput(`Broken chair, ${NAME}`),
        description: `Call me on ${PHONE.replace('+39 ', '')} or ${EMAIL}`,
      },
      'portal',
    );
    const theirFile = await makeAttachment(person, world.acme, complaint);
    await addReply(ctxOf(world.users.operatorAcme, world.acme), complaint.number, {
      body: `Dear ${NAME}, we have booked the repair.`,
    });
    const invoice = await createTicket(theirs, invoiceInput(), 'portal');
    const invoiceFile = await makeAttachment(person, world.acme, invoice);
    // A complaint about them, opened by a colleague: found by the customer's name.
    const about = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse({
        type: 'complaint',
        subject: 'Customer called twice',
        description: 'About a late delivery.',
        priority: 'normal',
        fields: {
          customerName: NAME,
          customerReference: 'C-9',
          channel: 'phone',
          category: 'Delay',
          severity: 'medium',
        },
      }),
      'portal',
    );
    // A colleague's scan named after them: kept, renamed (the row and GridFS's own copy of the name).
    await storeAttachments(ctxOf(world.users.acmeUser, world.acme), about, [
      { filename: `${NAME} letter.png`, buffer: tinyPng },
    ]);
    const other = await makeTicket(
      world.users.acmeUser,
      world.acme,
      'Unrelated: Marco Verdi asks for a refund',
    );
    const nordTicket = await makeTicket(namesake, world.nord, `Namesake ${NAME}`);
    await InboundMessage.create({
      tenantId: world.acme._id,
      messageId: '<m1@mail>',
      from: EMAIL,
      status: 'done',
    });
    await AuditEvent.create({ action: 'auth.sign_in_failed', actorEmail: EMAIL, tenantId: null });
    await LoginThrottle.create({
      key: `${EMAIL}|127.0.0.1`,
      windowStart: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });

    // The search finds them first: in users, tickets, timelines, mail, inbound mail, audit, throttles, files.
    const before = await tracesOf(world.nord._id);
    for (const name of [
      'users',
      'tickets',
      'timelineentries',
      'outboxmails',
      'inboundmessages',
      'auditevents',
      'loginthrottles',
      'attachments.files',
    ])
      expect(
        before.some((row) => row.startsWith(`${name} `)),
        name,
      ).to.equal(true);
    const requestId = await approvedErasure();
    await erasePerson(ctxOf(world.users.admin, null), requestId);

    expect(await tracesOf(world.nord._id)).to.deep.equal([]);
    // The account: disabled, signed out, no password, a pseudonym.
    const account = await User.findOne({ _id: person._id, tenantId: world.acme._id }).lean();
    expect(account).to.include({ status: 'disabled', passwordHash: null });
    expect(account?.sessionVersion).to.equal(1);
    // Their file on the complaint is gone; the invoice and its file stay, for admins only.
    try {
      await openAttachment(ctxOf(world.users.admin, null), String(theirFile._id));
      expect.fail('the file they sent should be deleted');
    } catch (err) {
      expect((err as AppError).code).to.equal('not_found');
    }
    const admin = ctxOf(world.users.admin, null);
    const kept = await getTicket(admin, invoice.number);
    expect(kept.restrictedAt).to.be.instanceOf(Date);
    expect(kept.fields).to.include({ supplierName: 'Carta Nord S.r.l.', invoiceNumber: 'CN-2026/7' });
    (await openAttachment(admin, String(invoiceFile._id))).stream.destroy();
    for (const viewer of [world.users.acmeAdmin, world.users.operatorAcme, world.users.accountManager]) {
      const ctx = ctxOf(viewer, viewer.tenantId ? world.acme : null);
      for (const read of [
        () => getTicket(ctx, invoice.number),
        () => openAttachment(ctx, String(invoiceFile._id)),
      ]) {
        try {
          await read();
          expect.fail(`${viewer.role} should not see the restricted invoice`);
        } catch (err) {
          expect((err as AppError).code, viewer.role).to.equal('not_found');
        }
      }
      const listed = await listTickets(ctx, { page: 1, scope: 'company' } as never);
      expect(listed.rows.map((r) => r.number)).not.to.include(invoice.number);
    }
    // The complaints stay, pseudonymised; the unrelated ticket and the other client's namesake are untouched.
    const erased = await Ticket.findOne({ _id: complaint._id, tenantId: world.acme._id }).lean();
    expect(erased?.subject).to.match(/^Broken chair, \[erased [0-9a-f]{6}\]$/);
    expect(erased?.requester?.email).to.match(/^erased-[0-9a-f]{6}@erased\.invalid$/);
    expect(erased?.restrictedAt).to.equal(null);
    expect((await Ticket.findOne({ _id: about._id, tenantId: world.acme._id }).lean())?.fields).to.include({
      customerName: erased?.requester?.name,
    });
    expect((await Ticket.findOne({ _id: other._id, tenantId: world.acme._id }).lean())?.subject).to.equal(
      'Unrelated: Marco Verdi asks for a refund',
    );
    expect(
      (await Ticket.findOne({ _id: nordTicket._id, tenantId: world.nord._id }).lean())?.subject,
    ).to.equal(`Namesake ${NAME}`);
    // The request forgets the person; the trail records it once and still verifies.
    const request = await PrivacyRequest.findOne({ _id: requestId, tenantId: world.acme._id }).lean();
    expect(request).to.include({ status: 'done', plan: null });
    expect(request?.result).to.include({ accounts: 1, files: 1, restricted: 1 });
    expect(request?.result?.mails).to.be.greaterThan(0);
    const entries = await AuditEvent.find({ action: { $regex: '^privacy\\.' }, targetId: request?._id })
      .setOptions({ allTenants: true })
      .lean();
    expect(entries.map((e) => e.action).sort()).to.deep.equal([
      'privacy.approved',
      'privacy.erased',
      'privacy.requested',
    ]);
    expect((await verifyAuditChain(sys())).ok).to.equal(true);
  });

  it('refuses while anything of the person is held, and runs once the hold is released', async () => {
    const email = 'held.person@cliente.example';
    const person = await makeSubject(world.acme.id, email, 'Held Person');
    const ticket = await makeTicket(person, world.acme, 'Under hold');
    const hold = await LegalHold.create({
      tenantId: world.acme._id,
      scope: 'ticket',
      targetId: ticket._id,
      reason: 'Litigation',
      placedBy: { id: world.users.accountManager._id, name: 'AM' },
    });
    const requestId = await approvedErasure({ email, name: 'Held Person', phone: '' });
    try {
      await erasePerson(ctxOf(world.users.admin, null), requestId);
      expect.fail('a held ticket must not be erased');
    } catch (err) {
      expect((err as AppError).messageKey).to.equal('privacy.errors.held');
      expect((err as AppError).params.tickets).to.equal(ticket.number);
    }
    expect(
      (await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean())?.requester?.email,
    ).to.equal(email);
    expect(
      (await PrivacyRequest.findOne({ _id: requestId, tenantId: world.acme._id }).lean())?.status,
    ).to.equal('approved');
    await LegalHold.updateOne(
      { _id: hold._id, tenantId: world.acme._id },
      { $set: { releasedAt: new Date(), activeKey: `released:${String(hold._id)}` } },
    );
    await erasePerson(ctxOf(world.users.admin, null), requestId);
    expect(
      (await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean())?.requester?.email,
    ).to.match(/@erased\.invalid$/);
  });

  it('a run cut short after it started is finished by the sweep once its lease ran out', async () => {
    const email = 'cut.short@cliente.example';
    const person = await makeSubject(world.acme.id, email, 'Cut Short');
    const ticket = await makeTicket(person, world.acme, 'Cut Short wrote this');
    const requestId = await approvedErasure({ email, name: 'Cut Short', phone: '' });
    // The process dies right after claiming the run: nothing is erased yet.
    await claimErasure(ctxOf(world.users.admin, null), requestId);
    expect(await finishInterruptedErasures(sys())).to.equal(0);
    const later = new Date(Date.now() + 11 * 60_000);
    expect(await finishInterruptedErasures(sys(), later)).to.equal(1);
    expect(await finishInterruptedErasures(sys(), later)).to.equal(0);
    const after = await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean();
    expect(after?.subject).to.match(/^\[erased [0-9a-f]{6}\] wrote this$/);
    expect(
      (await PrivacyRequest.findOne({ _id: requestId, tenantId: world.acme._id }).lean())?.status,
    ).to.equal('done');
  });

  it("a client admin cannot decide or run, nor see another client's request", async () => {
    const request = await requestPrivacyAction(ctxOf(world.users.nordAdmin, world.nord), {
      kind: 'erasure',
      email: 'someone@nord.example',
    });
    for (const attempt of [
      () =>
        decidePrivacyRequest(ctxOf(world.users.nordAdmin, world.nord), String(request._id), {
          decision: 'approve',
        }),
      () => erasePerson(ctxOf(world.users.nordAdmin, world.nord), String(request._id)),
      () =>
        decidePrivacyRequest(ctxOf(world.users.acmeAdmin, world.acme), String(request._id), {
          decision: 'approve',
        }),
    ]) {
      try {
        await attempt();
        expect.fail('refused');
      } catch (err) {
        expect((err as AppError).code).to.equal('forbidden');
      }
    }
    // A client admin asking about another client's person gets their own client regardless of what they send.
    const own = await requestPrivacyAction(ctxOf(world.users.acmeAdmin, world.acme), {
      kind: 'export',
      email: 'x@acme.example',
      tenantId: String(world.nord._id),
    });
    expect(String(own.tenantId)).to.equal(String(world.acme._id));
  });
});
