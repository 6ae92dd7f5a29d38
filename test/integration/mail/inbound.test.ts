import { expect } from 'chai';
import type { Types } from 'mongoose';
import { InboundMessage } from '../../../models/inbound-message.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { listAttachments, openAttachment } from '../../../server/domain/tickets/attachments.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { threadId } from '../../../server/domain/mail/thread-id.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import {
  addressText,
  ctxFor,
  headerOf,
  pdfBytes,
  sendSmtp,
  sendSmtpRefused,
} from '../../support/mail-helpers.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const DOMAIN = 'in.desk.test';
const MAX_BYTES = 300_000;

/** Mail to the tenants' intake addresses, through the portal's real SMTP listener. */
describe('inbound mail: tickets and replies by e-mail', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let port: number;
  let acmeAddress: string;
  let seq = 0;
  const unique = (what: string): string => `${what} ${Date.now().toString(36)}-${++seq}`;

  before(async () => {
    tp = await startTestPortal('mail-inbound', {
      INBOUND_SMTP_PORT: '0',
      INBOUND_MAIL_DOMAIN: DOMAIN,
      INBOUND_MAX_BYTES: String(MAX_BYTES),
    });
    world = await makeWorld();
    port = tp.portal.inboundSmtpPort as number;
    acmeAddress = `${world.acme.code}@${DOMAIN}`;
  });
  after(async () => {
    await tp?.stop();
  });

  const ticketBySubject = (subject: string) => Ticket.findOne({ tenantId: world.acme._id, subject }).lean();
  const timelineOf = (ticketId: Types.ObjectId) =>
    TimelineEntry.find({ tenantId: world.acme._id, ticketId }).sort({ at: 1, _id: 1 }).lean();

  /** A ticket opened by mail, and the confirmation mail the requester got for it. */
  async function ticketByMail(subject: string, from = world.users.acmeUser.email) {
    const { response } = await sendSmtp(port, {
      from,
      to: acmeAddress,
      subject,
      text: 'Il cliente Rossi lamenta una consegna in ritardo.',
    });
    expect(response).to.match(/^250 .*created/);
    const ticket = await ticketBySubject(subject);
    expect(ticket, subject).to.not.equal(null);
    const confirmation = await tp.smtp.waitFor(
      (m) => headerOf(m, 'x-ticket') === ticket!.number && (m.subject ?? '').includes('Abbiamo ricevuto'),
    );
    return { ticket: ticket!, confirmation };
  }

  it('listens on a port of its own when INBOUND_SMTP_PORT is set', () => {
    expect(port).to.be.a('number').and.greaterThan(0);
  });

  it('opens a ticket for a known sender, with the attachment byte for byte', async () => {
    const pdf = pdfBytes(60_000);
    const subject = unique('Reclamo cliente Rossi');
    const { response } = await sendSmtp(port, {
      from: `Mario Utente <${world.users.acmeUser.email}>`,
      to: acmeAddress,
      subject: `Fwd: ${subject}`,
      text: 'Buongiorno,\n\nil cliente Rossi (rif. 4471) lamenta una consegna in ritardo.\n\nGrazie',
      attachments: [{ filename: 'reclamo.pdf', content: pdf, contentType: 'application/octet-stream' }],
    });
    expect(response).to.match(/^250 /);

    const ticket = await ticketBySubject(subject);
    expect(ticket).to.not.equal(null);
    expect(ticket!.channel).to.equal('email');
    expect(ticket!.type).to.equal('complaint');
    expect(ticket!.status).to.equal('new');
    expect(String(ticket!.requester.id)).to.equal(String(world.users.acmeUser._id));
    expect(ticket!.requester.email).to.equal(world.users.acmeUser.email);
    expect(ticket!.fields).to.deep.equal({ channel: 'mail' });
    expect(ticket!.description).to.include('consegna in ritardo');
    expect(ticket!.number).to.match(new RegExp(`^${world.acme.code.toUpperCase()}-\\d{6}$`));

    const ctx = ctxFor(world.users.acmeUser, 'it');
    const files = await listAttachments(ctx, ticket!);
    expect(files.map((f) => [f.filename, f.contentType, f.size])).to.deep.equal([
      ['reclamo.pdf', 'application/pdf', pdf.length],
    ]);
    const { stream } = await openAttachment(ctx, String(files[0]!._id));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(pdf)).to.equal(true);

    const [created] = await timelineOf(ticket!._id);
    expect(created!.kind).to.equal('created');
    expect(created!.data).to.include({ channel: 'email' });
    expect(created!.attachmentIds.map(String)).to.deep.equal([String(files[0]!._id)]);
  });

  it('opens the type the address names, with its fields left for staff', async () => {
    const invoiceSubject = unique('Fattura fornitore');
    await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: `${world.acme.code}+invoice@${DOMAIN}`,
      subject: invoiceSubject,
      text: 'In allegato.',
    });
    const invoice = await ticketBySubject(invoiceSubject);
    expect(invoice!.type).to.equal('invoice');
    expect(invoice!.fields).to.deep.equal({});
    expect(invoice!.duplicateOf).to.equal(null);

    // A second invoice by mail is no duplicate of the first: neither has a supplier yet.
    const second = unique('Fattura fornitore');
    await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: `${world.acme.code}+invoice@${DOMAIN}`,
      subject: second,
      text: "Un'altra.",
    });
    expect((await ticketBySubject(second))!.duplicateOf).to.equal(null);

    const batchSubject = unique('Inserimento ordini');
    await sendSmtp(port, {
      from: world.users.acmeAdmin.email,
      to: `${world.acme.code}+data-entry@${DOMAIN}`,
      subject: batchSubject,
      text: 'Ordini di maggio.',
    });
    const batch = await ticketBySubject(batchSubject);
    expect(batch!.type).to.equal('data_entry');
    expect(batch!.fields).to.deep.equal({ recordsCompleted: 0, errorCount: 0 });
  });

  it('continues a ticket named by the subject tag, without the quoted mail', async () => {
    const { ticket } = await ticketByMail(unique('Consegna in ritardo'));
    const { response } = await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: acmeAddress,
      subject: `R: [${ticket.number}] Consegna in ritardo`,
      text: `Ecco il numero d'ordine: 99812.\n\nIl giorno lun 4 mag 2026 alle ore 10:12 Backoffice Desk <no-reply@backoffice-desk.local> ha scritto:\n> Ciao,\n> abbiamo ricevuto la richiesta ${ticket.number}.\n`,
    });
    expect(response).to.include(`replied:${ticket.number}`);
    const replies = (await timelineOf(ticket._id)).filter((e) => e.kind === 'reply');
    expect(replies.map((e) => [e.body, e.visibility, e.author?.kind])).to.deep.equal([
      ["Ecco il numero d'ordine: 99812.", 'public', 'client'],
    ]);
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, subject: { $regex: '^R:' } })).to.equal(0);
  });

  it('threads the answer to an outbound mail by its Message-ID: ticket, mail out, reply in, timeline', async () => {
    const { ticket, confirmation } = await ticketByMail(unique('Reso merce'));
    // The confirmation tells the client's mail program where answers go, and which thread it is.
    expect(addressText(confirmation.replyTo)).to.equal(acmeAddress);
    expect(headerOf(confirmation, 'references')).to.include(threadId(ticket._id));
    expect(confirmation.messageId).to.match(/^<.+@backoffice-desk>$/);

    const { response } = await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: addressText(confirmation.replyTo),
      subject: 'Re: la vostra conferma', // no ticket tag: only the header can thread it
      inReplyTo: confirmation.messageId,
      text: 'Aggiungo che il reso è di 3 colli.\n\nOn Mon, 4 May 2026 at 10:12, Backoffice Desk wrote:\n> Abbiamo ricevuto la tua richiesta',
    });
    expect(response).to.include(`replied:${ticket.number}`);
    const timeline = await timelineOf(ticket._id);
    expect(timeline.map((e) => e.kind)).to.deep.equal(['created', 'reply']);
    expect(timeline[1]!.body).to.equal('Aggiungo che il reso è di 3 colli.');
    expect(
      await Ticket.countDocuments({ tenantId: world.acme._id, subject: { $regex: 'conferma' } }),
    ).to.equal(0);
  });

  it('threads by the ticket thread id in References, and reopens a resolved ticket', async () => {
    const { ticket } = await ticketByMail(unique('Etichette sbagliate'));
    await changeStatus(ctxFor(world.users.operatorAcme), ticket.number, 'resolved');
    const { response } = await sendSmtp(port, {
      from: world.users.acmeAdmin.email,
      to: acmeAddress,
      subject: 'Re: risolto?',
      references: ['<something-else@example.test>', threadId(ticket._id)],
      text: 'Purtroppo no, le etichette sono ancora sbagliate.',
    });
    expect(response).to.include(`replied:${ticket.number}`);
    const after = await Ticket.findOne({ tenantId: world.acme._id, _id: ticket._id }).lean();
    expect(after!.status).to.equal('open');
    expect((await timelineOf(ticket._id)).filter((e) => e.kind === 'reply').map((e) => e.body)).to.deep.equal(
      ['Purtroppo no, le etichette sono ancora sbagliate.'],
    );
  });

  it('lets staff serving the tenant answer by mail, which mails the requester', async () => {
    const { ticket } = await ticketByMail(unique('Fattura doppia'));
    const { response } = await sendSmtp(port, {
      from: world.users.operatorAcme.email,
      to: acmeAddress,
      subject: `Re: [${ticket.number}] Fattura doppia`,
      text: 'Abbiamo annullato la seconda fattura.\n\n> quoted',
    });
    expect(response).to.include(`replied:${ticket.number}`);
    const reply = (await timelineOf(ticket._id)).find((e) => e.kind === 'reply');
    expect(reply!.author?.kind).to.equal('staff');
    expect(reply!.visibility).to.equal('public');
    const mail = await tp.smtp.waitFor(
      (m) => headerOf(m, 'x-ticket') === ticket.number && (m.subject ?? '').includes('Nuova risposta'),
    );
    expect(mail.text).to.include('Abbiamo annullato la seconda fattura.');

    // Staff answer tickets by mail; they do not open them.
    const refused = await sendSmtpRefused(port, {
      from: world.users.operatorAcme.email,
      to: acmeAddress,
      subject: 'Nuovo lavoro',
      text: '...',
    });
    expect(refused.responseCode).to.equal(550);
    expect(refused.response).to.include('5.7.1');
  });

  it('refuses an unknown sender and a disabled one with 550 5.7.1', async () => {
    const subject = unique('Spam');
    const unknown = await sendSmtpRefused(port, {
      from: 'stranger@elsewhere.test',
      to: acmeAddress,
      subject,
      text: 'hello',
    });
    expect(unknown.responseCode).to.equal(550);
    expect(unknown.response).to.match(/^550 5\.7\.1 /);

    const disabled = await makeUser({ role: 'client_user', tenantId: world.acme.id, status: 'disabled' });
    const refused = await sendSmtpRefused(port, {
      from: disabled.email,
      to: acmeAddress,
      subject,
      text: 'hello',
    });
    expect(refused.responseCode).to.equal(550);
    expect(refused.response).to.include('5.7.1');
    expect(await ticketBySubject(subject)).to.equal(null);
  });

  it('refuses a mail whose From header is not a known sender, whatever the envelope says', async () => {
    const subject = unique('Mittente diverso');
    const refused = await sendSmtpRefused(port, {
      envelope: { from: world.users.acmeUser.email, to: [acmeAddress] },
      from: 'stranger@elsewhere.test',
      to: acmeAddress,
      subject,
      text: 'hello',
    });
    expect(refused.response).to.match(/^550 5\.7\.1 /);
    expect(await ticketBySubject(subject)).to.equal(null);
  });

  it("refuses a sender of one tenant writing to another tenant's address", async () => {
    const subject = unique('Cross-tenant');
    const refused = await sendSmtpRefused(port, {
      from: world.users.acmeUser.email,
      to: `${world.nord.code}@${DOMAIN}`,
      subject,
      text: 'hej',
    });
    expect(refused.responseCode).to.equal(550);
    expect(refused.response).to.include('5.7.1');
    expect(await Ticket.countDocuments({ tenantId: world.nord._id, subject })).to.equal(0);
    // An operator serving Acme only may not write to Nordhavn either.
    const staff = await sendSmtpRefused(port, {
      from: world.users.operatorAcme.email,
      to: `${world.nord.code}@${DOMAIN}`,
      subject,
      text: 'hej',
    });
    expect(staff.responseCode).to.equal(550);
  });

  it('refuses unknown intake addresses and foreign domains', async () => {
    const from = world.users.acmeUser.email;
    const unknownTenant = await sendSmtpRefused(port, {
      from,
      to: `nosuchclient@${DOMAIN}`,
      subject: 'x',
      text: 'x',
    });
    expect(unknownTenant.response).to.match(/^550 5\.1\.1 /);
    const unknownType = await sendSmtpRefused(port, {
      from,
      to: `${world.acme.code}+holiday@${DOMAIN}`,
      subject: 'x',
      text: 'x',
    });
    expect(unknownType.response).to.match(/^550 5\.1\.1 /);
    const foreign = await sendSmtpRefused(port, { from, to: 'someone@example.org', subject: 'x', text: 'x' });
    expect(foreign.response).to.match(/^550 5\.7\.1 .*relaying denied/);
  });

  it('refuses a mail over INBOUND_MAX_BYTES with 552', async () => {
    const subject = unique('Troppo grande');
    const refused = await sendSmtpRefused(port, {
      from: world.users.acmeUser.email,
      to: acmeAddress,
      subject,
      text: 'big',
      attachments: [{ filename: 'big.pdf', content: pdfBytes(MAX_BYTES) }],
    });
    expect(refused.responseCode).to.equal(552);
    expect(await ticketBySubject(subject)).to.equal(null);
  });

  it('refuses a malformed mail with 554', async () => {
    const refused = await sendSmtpRefused(port, {
      envelope: { from: world.users.acmeUser.email, to: [acmeAddress] },
      raw: 'Subject: no sender here\r\n\r\njust text\r\n',
    });
    expect(refused.responseCode).to.equal(554);
    expect(refused.response).to.include('5.6.0');
  });

  it('refuses a multipart mail without a boundary with 554 instead of losing its body', async () => {
    const subject = unique('Senza boundary');
    const refused = await sendSmtpRefused(port, {
      envelope: { from: world.users.acmeUser.email, to: [acmeAddress] },
      raw: `From: ${world.users.acmeUser.email}\r\nTo: ${acmeAddress}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--zzz\r\nContent-Type: text/plain\r\n\r\nIl corpo che andrebbe perso\r\n--zzz--\r\n`,
    });
    expect(refused.responseCode).to.equal(554);
    expect(refused.response).to.include('boundary');
    expect(await ticketBySubject(subject)).to.equal(null);
  });

  it('refuses with 554 a multipart mail whose boundary never appears, or with a nested part it cannot split', async () => {
    const outer = `From: ${world.users.acmeUser.email}\r\nTo: ${acmeAddress}\r\nMIME-Version: 1.0\r\n`;
    for (const [subject, rest] of [
      [
        unique('Boundary assente'),
        'Content-Type: multipart/mixed; boundary="abc"\r\n\r\nIl corpo che andrebbe perso\r\n',
      ],
      [
        unique('Parte annidata'),
        'Content-Type: multipart/mixed; boundary="out"\r\n\r\n--out\r\nContent-Type: multipart/alternative\r\n\r\nIl testo che andrebbe perso\r\n--out--\r\n',
      ],
    ] as const) {
      const refused = await sendSmtpRefused(port, {
        envelope: { from: world.users.acmeUser.email, to: [acmeAddress] },
        raw: `${outer}Subject: ${subject}\r\n${rest}`,
      });
      expect(refused.responseCode, subject).to.equal(554);
      expect(refused.response).to.include('boundary');
      expect(await ticketBySubject(subject)).to.equal(null);
    }
  });

  it('takes the same Message-ID in once', async () => {
    const subject = unique('Consegna doppia');
    const message = {
      from: world.users.acmeUser.email,
      to: acmeAddress,
      subject,
      text: 'Una volta sola.',
      messageId: `<${subject.replace(/\W/g, '')}@client.example>`,
    };
    const first = await sendSmtp(port, message);
    const second = await sendSmtp(port, message);
    expect(first.response).to.include('created');
    expect(second.response).to.include('duplicate');
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, subject })).to.equal(1);
    expect(
      await InboundMessage.countDocuments({ tenantId: world.acme._id, messageId: message.messageId }),
    ).to.equal(1);

    // Delivered at the same moment twice: still one ticket.
    const racing = {
      ...message,
      subject: `${subject} bis`,
      messageId: `<${subject.replace(/\W/g, '')}-bis@client.example>`,
    };
    await Promise.all([sendSmtp(port, racing), sendSmtp(port, racing)]);
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, subject: racing.subject })).to.equal(1);
  });

  it('keeps the accepted files, drops refused ones and says so on the timeline', async () => {
    const subject = unique('Documenti misti');
    const { response } = await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: acmeAddress,
      subject,
      text: 'Vedi allegati.',
      attachments: [
        { filename: 'ok.pdf', content: pdfBytes(2_000) },
        { filename: 'tool.exe', content: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]) },
      ],
    });
    expect(response).to.include('created');
    const ticket = await ticketBySubject(subject);
    const files = await listAttachments(ctxFor(world.users.acmeUser, 'it'), ticket!);
    expect(files.map((f) => f.filename)).to.deep.equal(['ok.pdf']);
    const note = (await timelineOf(ticket!._id)).find((e) => e.kind === 'attachment');
    expect(note!.visibility).to.equal('public');
    expect(note!.author?.kind).to.equal('system');
    expect(note!.body).to.include('tool.exe').and.include('Non conservati');
  });

  it('names an attachment whose base64 is damaged on the timeline, with that reason, and keeps the intact one', async () => {
    const subject = unique('Allegato rovinato');
    const good = pdfBytes(2_000).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw =
      `From: ${world.users.acmeUser.email}\r\nTo: ${acmeAddress}\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}-b64@client.example>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n--zzz\r\nContent-Type: text/plain\r\n\r\nVedi allegati.\r\n` +
      `--zzz\r\nContent-Type: application/pdf; name="ok.pdf"\r\nContent-Disposition: attachment; filename="ok.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${good}\r\n` +
      `--zzz\r\nContent-Type: application/pdf; name="rotto.pdf"\r\nContent-Disposition: attachment; filename="rotto.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x!!!*not~base64@@\r\n--zzz--\r\n`;
    const { response } = await sendSmtp(port, {
      envelope: { from: world.users.acmeUser.email, to: [acmeAddress] },
      raw,
    });
    expect(response).to.include('created');
    const ticket = await ticketBySubject(subject);
    const files = await listAttachments(ctxFor(world.users.acmeUser, 'it'), ticket!);
    expect(files.map((f) => f.filename)).to.deep.equal(['ok.pdf']);
    const note = (await timelineOf(ticket!._id)).find((e) => e.kind === 'attachment');
    expect(note!.body).to.include('rotto.pdf').and.include('non può essere decodificato');
  });

  it("ignores autoresponders' mail", async () => {
    const subject = unique('Fuori ufficio');
    const { response } = await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: acmeAddress,
      subject,
      text: 'Sono in ferie.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    expect(response).to.include('ignored');
    expect(await ticketBySubject(subject)).to.equal(null);
  });

  it('opens a new ticket when the mail answers a closed one', async () => {
    const { ticket } = await ticketByMail(unique('Vecchia pratica'));
    await Ticket.updateOne({ tenantId: world.acme._id, _id: ticket._id }, { $set: { status: 'closed' } });
    const subject = unique('Nuova domanda');
    const { response } = await sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: acmeAddress,
      subject: `Re: [${ticket.number}] ${subject}`,
      text: 'Una nuova domanda.',
    });
    expect(response).to.include('created');
    expect(await ticketBySubject(subject)).to.not.equal(null);
  });
});
