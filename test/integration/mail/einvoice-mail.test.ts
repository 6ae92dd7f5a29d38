import { expect } from 'chai';
import type { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { listAttachments } from '../../../server/domain/tickets/attachments.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';
import { makeSigner, type Signer } from '../../domain/einvoices/openssl.js';
import { zip } from '../../domain/einvoices/zip.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxFor, headerOf, pdfBytes, sendSmtp, sendSmtpRefused } from '../../support/mail-helpers.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const DOMAIN = 'in.desk.test';

/** E-invoices attached to a mail to a client's invoice address, through the real SMTP listener. */
describe('inbound mail: e-invoices to the invoice address', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let port: number;
  let invoiceAddress: string;
  let signer: Signer;
  let seq = 0;
  const unique = (what: string): string => `${what}-${Date.now().toString(36)}-${++seq}`;

  before(async () => {
    tp = await startTestPortal('mail-einvoice', {
      INBOUND_SMTP_PORT: '0',
      INBOUND_MAIL_DOMAIN: DOMAIN,
      INBOUND_MAX_BYTES: '2000000',
    });
    world = await makeWorld();
    port = tp.portal.inboundSmtpPort as number;
    invoiceAddress = `${world.acme.code}+invoice@${DOMAIN}`;
    signer = makeSigner();
  });
  after(async () => {
    signer?.cleanup();
    await tp?.stop();
  });

  const fp = (number: string, bodies = 1): Buffer =>
    Buffer.from(
      fatturaPA({
        bodies: Array.from({ length: bodies }, (_, i) => ({
          number: bodies === 1 ? number : `${number}-${i + 1}`,
          due: [{ date: '2026-04-30', amount: '122.00' }],
        })),
      }),
    );
  const invoiceTickets = (numbers: string[]) =>
    Ticket.find({ tenantId: world.acme._id, 'fields.invoiceNumber': { $in: numbers } })
      .sort({ seq: 1 })
      .lean();
  const timelineOf = (ticketId: Types.ObjectId) =>
    TimelineEntry.find({ tenantId: world.acme._id, ticketId }).sort({ at: 1, _id: 1 }).lean();
  const send = (subject: string, attachments: { filename: string; content: Buffer }[], messageId?: string) =>
    sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: invoiceAddress,
      subject,
      text: 'In allegato la fattura del mese.',
      attachments: attachments.map((a) => ({ ...a, contentType: 'application/octet-stream' })),
      ...(messageId ? { messageId } : {}),
    });

  it('a FatturaPA .xml attachment becomes an invoice ticket with the fields, the mail text on it', async () => {
    const number = unique('FPX');
    const pdf = pdfBytes(20_000);
    const { response } = await send(`Fattura ${number}`, [
      { filename: 'IT01234567897_00001.xml', content: fp(number) },
      { filename: 'copia.pdf', content: pdf },
    ]);
    expect(response).to.match(/^250 .*created/);
    const [ticket, ...more] = await invoiceTickets([number]);
    expect(more).to.have.length(0);
    expect(ticket!.type).to.equal('invoice');
    expect(ticket!.channel).to.equal('email');
    expect(ticket!.fields).to.include({ invoiceNumber: number, supplierVat: 'IT01234567897' });
    expect(String(ticket!.requester.id)).to.equal(String(world.users.acmeUser._id));
    expect(response).to.include(ticket!.number);
    // Only the invoice ticket: no plain ticket for the mail.
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, subject: `Fattura ${number}` })).to.equal(
      0,
    );

    const files = await listAttachments(ctxFor(world.users.acmeUser, 'it'), ticket!);
    expect(files.map((f) => f.filename).sort()).to.deep.equal(['IT01234567897_00001.xml', 'copia.pdf']);
    const entries = await timelineOf(ticket!._id);
    const mailEntry = entries.find((e) => e.body.includes('In allegato la fattura'));
    expect(mailEntry, 'the mail text on the ticket').to.not.equal(undefined);
    expect(mailEntry!.visibility).to.equal('public');

    const confirmation = await tp.smtp.waitFor((m) => headerOf(m, 'x-ticket') === ticket!.number);
    expect(confirmation.text ?? '').to.include(ticket!.number);
  });

  it('a file of three bodies becomes three tickets, each confirmed to the sender', async () => {
    const number = unique('FPM');
    const { response } = await send(`Fatture ${number}`, [{ filename: 'multi.xml', content: fp(number, 3) }]);
    expect(response).to.match(/^250 /);
    const tickets = await invoiceTickets([1, 2, 3].map((i) => `${number}-${i}`));
    expect(tickets.map((t) => (t.fields as { invoiceNumber?: string }).invoiceNumber)).to.deep.equal([
      `${number}-1`,
      `${number}-2`,
      `${number}-3`,
    ]);
    for (const ticket of tickets) await tp.smtp.waitFor((m) => headerOf(m, 'x-ticket') === ticket.number);
    const records = await EInvoiceRecord.find({
      tenantId: world.acme._id,
      ticketId: { $in: tickets.map((t) => t._id) },
    }).lean();
    expect(records).to.have.length(3);
  });

  it('a signed .p7m and a ZIP (with a Peppol invoice in it) are read by their content', async () => {
    const signedNumber = unique('FPS');
    const p7m = signer.sign(fp(signedNumber));
    const zipped = unique('UBLZ');
    const archive = zip([{ name: 'inv.xml', data: Buffer.from(ubl({ id: zipped })) }]);
    const { response } = await send(`Fatture ${signedNumber}`, [
      { filename: 'fattura.xml.p7m', content: p7m },
      { filename: 'fatture.zip', content: archive },
    ]);
    expect(response).to.match(/^250 /);
    const [signed] = await invoiceTickets([signedNumber]);
    expect(signed, 'the signed invoice').to.not.equal(undefined);
    const record = await EInvoiceRecord.findOne({ tenantId: world.acme._id, ticketId: signed!._id }).lean();
    expect(record!.signature?.signers.join(' ')).to.include('Mario Rossi');
    const [fromZip] = await invoiceTickets([zipped]);
    expect(fromZip, 'the invoice of the ZIP').to.not.equal(undefined);
    expect(fromZip!.channel).to.equal('email');
  });

  it('an .xml that cannot be read still becomes a ticket carrying the file, with the findings as an internal note', async () => {
    const subject = unique('Fattura illeggibile');
    const broken = Buffer.from('<?xml version="1.0"?><Fattura><Numero>1</Numero>');
    const { response } = await send(subject, [{ filename: 'rotta.xml', content: broken }]);
    expect(response).to.match(/^250 .*created/);
    const ticket = await Ticket.findOne({ tenantId: world.acme._id, subject }).lean();
    expect(ticket).to.not.equal(null);
    expect(ticket!.type).to.equal('invoice');
    const files = await listAttachments(ctxFor(world.users.acmeAdmin, 'it'), ticket!);
    expect(files.map((f) => [f.filename, f.size])).to.deep.equal([['rotta.xml', broken.length]]);
    const note = (await timelineOf(ticket!._id)).find((e) => e.kind === 'note');
    expect(note, 'the internal note').to.not.equal(undefined);
    expect(note!.visibility).to.equal('internal');
    expect(note!.body).to.include('rotta.xml');
    // The findings in words (the client's language), not catalogue keys.
    expect(note!.body).to.not.match(/einvoices\.|einvoicemail\./);
    expect(note!.data).to.have.property('unread');
  });

  it('a readable and an unreadable e-invoice in one mail: the invoice ticket keeps the other file, with the findings', async () => {
    const number = unique('FPU');
    const broken = Buffer.from('<?xml version="1.0"?><Invoice><cbc:ID>1</Invoice>');
    const { response } = await send(`Fatture ${number}`, [
      { filename: 'buona.xml', content: fp(number) },
      { filename: 'rotta.xml', content: broken },
    ]);
    expect(response).to.match(/^250 .*created/);
    const [ticket, ...more] = await invoiceTickets([number]);
    expect(more).to.have.length(0);
    const files = await listAttachments(ctxFor(world.users.acmeAdmin, 'it'), ticket!);
    expect(files.map((f) => f.filename).sort()).to.deep.equal(['buona.xml', 'rotta.xml']);
    const note = (await timelineOf(ticket!._id)).find((e) => e.kind === 'note');
    expect(note!.visibility).to.equal('internal');
    expect(note!.body).to.include('rotta.xml');
  });

  it('the same mail twice, or the same file in another mail, creates nothing twice', async () => {
    const number = unique('FPD');
    const file = fp(number, 2);
    const messageId = `<${unique('dup')}@client.example>`;
    const first = await send(`Fatture ${number}`, [{ filename: 'f.xml', content: file }], messageId);
    expect(first.response).to.match(/created/);
    const again = await send(`Fatture ${number}`, [{ filename: 'f.xml', content: file }], messageId);
    expect(again.response).to.match(/duplicate/);
    const other = await send(`Re-sent ${number}`, [{ filename: 'copy.xml', content: file }]);
    expect(other.response).to.match(/^250 /);
    const tickets = await invoiceTickets([`${number}-1`, `${number}-2`]);
    expect(tickets).to.have.length(2);
    expect(
      await EInvoiceRecord.countDocuments({
        tenantId: world.acme._id,
        ticketId: { $in: tickets.map((t) => t._id) },
      }),
    ).to.equal(2);
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, subject: `Re-sent ${number}` })).to.equal(
      0,
    );
  });

  it("a mail to another client's invoice address opens nothing in either tenant", async () => {
    const number = unique('FPT');
    const failure = await sendSmtpRefused(port, {
      from: world.users.acmeUser.email,
      to: `${world.nord.code}+invoice@${DOMAIN}`,
      subject: `Fattura ${number}`,
      text: 'x',
      attachments: [{ filename: 'f.xml', content: fp(number) }],
    });
    expect(failure.responseCode).to.equal(550);
    const anywhere = await Ticket.find({ 'fields.invoiceNumber': number })
      .setOptions({ allTenants: true })
      .lean();
    expect(anywhere).to.have.length(0);
  });
});
