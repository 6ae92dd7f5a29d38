import { expect } from 'chai';
import { Attachment } from '../../../models/attachment.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { AppError } from '../../../server/errors/app-error.js';
import {
  einvoiceTicketId,
  receiveEInvoice,
  ticketInputOf,
} from '../../../server/domain/einvoices/receive-einvoice.js';
import { readEInvoice } from '../../../server/domain/einvoices/read-einvoice.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { createHash } from 'node:crypto';
import { userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fatturaPA, ubl } from './builders.js';
import { makeSigner, type Signer } from './openssl.js';
import { zip } from './zip.js';

/** Received e-invoice files become invoice tickets: one per invoice, once per file, crash-safe. */
describe('e-invoices: receiving a file (tickets, the original, the record)', function () {
  this.timeout(60_000);
  let world: World;
  let signer: Signer;
  before(async () => {
    await connectTestDb('receive-einvoice');
    world = await makeWorld();
    signer = makeSigner();
  });
  after(async () => {
    signer.cleanup();
    await dropAndDisconnect();
  });

  const acme = () => userCtx(world.users.acmeAdmin);
  const fp = (number: string, bodies = 1) =>
    Buffer.from(
      fatturaPA({
        bodies: Array.from({ length: bodies }, (_, i) => ({
          number: `${number}-${i + 1}`,
          due: [{ date: '2026-04-30', amount: '122.00' }],
        })),
      }),
    );

  it('makes one invoice ticket per body, with the fields from the file, linked by the file', async () => {
    const receipt = await receiveEInvoice(acme(), { filename: 'IT01234567897_00001.xml' }, fp('MB', 3));
    expect(receipt.invoices).to.have.length(3);
    expect(receipt.invoices.every((i) => i.created && i.format === 'fatturapa')).to.equal(true);
    const tickets = await Ticket.find({ _id: { $in: receipt.invoices.map((i) => i.ticket.id) } })
      .setOptions({ allTenants: true })
      .sort({ seq: 1 })
      .lean();
    expect(tickets.map((t) => (t.fields as { invoiceNumber?: string }).invoiceNumber)).to.deep.equal([
      'MB-1',
      'MB-2',
      'MB-3',
    ]);
    expect(tickets[0]!.type).to.equal('invoice');
    expect(tickets[0]!.fields).to.deep.include({
      supplierVat: 'IT01234567897',
      currency: 'EUR',
      dueDate: '2026-04-30',
    });
    const rows = await EInvoiceRecord.find({ fileHash: receipt.fileHash })
      .setOptions({ allTenants: true })
      .sort({ bodyIndex: 1 })
      .lean();
    expect(rows.map((r) => r.bodyIndex)).to.deep.equal([0, 1, 2]);
    expect(rows.every((r) => String(r.attachmentId) === String(receipt.attachmentId))).to.equal(true);
    expect(rows[1]!.siblingTicketIds.map(String).sort()).to.deep.equal(
      [tickets[0]!._id, tickets[2]!._id].map(String).sort(),
    );
    expect(rows[0]!.lines).to.have.length.above(0);
    expect(rows[0]!.vatSummary).to.have.length.above(0);
    const stored = await Attachment.find({ sha256: receipt.fileHash })
      .setOptions({ allTenants: true })
      .lean();
    expect(stored).to.have.length(1);
    expect(stored[0]!.contentType).to.equal('application/xml');
  });

  it('reads Peppol, OIOUBL and a signed .p7m, recording the signature', async () => {
    const peppol = await receiveEInvoice(
      acme(),
      { filename: 'peppol.xml' },
      Buffer.from(ubl({ id: 'PEP-1' })),
    );
    expect(peppol.invoices[0]!.format).to.equal('peppol-bis3');
    const oio = await receiveEInvoice(
      acme(),
      { filename: 'oio.xml' },
      Buffer.from(ubl({ id: 'OIO-1', flavour: 'oioubl' })),
    );
    expect(oio.invoices[0]!.format).to.equal('oioubl');
    const signed = await receiveEInvoice(
      acme(),
      { filename: 'IT01234567897_S.xml.p7m' },
      signer.sign(fp('SIG')),
    );
    const row = await EInvoiceRecord.findOne({ ticketId: signed.invoices[0]!.ticket.id })
      .setOptions({ allTenants: true })
      .lean();
    expect(row!.signature).to.deep.include({ verified: true, signers: [signer.subject] });
    const original = await Attachment.findById(signed.attachmentId).setOptions({ allTenants: true }).lean();
    expect(original!.contentType).to.equal('application/pkcs7-mime');
  });

  it('refuses a file with no invoice in it (XXE) with its findings, storing nothing', async () => {
    const xxe = Buffer.from(
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    );
    const before = await Ticket.countDocuments({}).setOptions({ allTenants: true });
    const err = await receiveEInvoice(acme(), { filename: 'evil.xml' }, xxe).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('validation');
    expect((err as AppError).fields.length).to.be.above(0);
    expect(await Ticket.countDocuments({}).setOptions({ allTenants: true })).to.equal(before);
    expect(await Attachment.countDocuments({ filename: /evil/ }).setOptions({ allTenants: true })).to.equal(
      0,
    );
  });

  it('the same bytes again make nothing twice; the same invoice in other bytes is flagged a duplicate', async () => {
    const bytes = fp('TWICE', 2);
    const first = await receiveEInvoice(acme(), { filename: 'twice.xml' }, bytes);
    const again = await receiveEInvoice(acme(), { filename: 'twice.xml' }, bytes);
    expect(again.invoices.map((i) => i.created)).to.deep.equal([false, false]);
    expect(again.invoices.map((i) => i.ticket.number)).to.deep.equal(
      first.invoices.map((i) => i.ticket.number),
    );
    const signed = await receiveEInvoice(acme(), { filename: 'twice.xml.p7m' }, signer.sign(bytes));
    expect(signed.invoices.map((i) => i.created)).to.deep.equal([true, true]);
    expect(signed.invoices.map((i) => i.ticket.duplicateOf)).to.deep.equal(
      first.invoices.map((i) => i.ticket.number),
    );
  });

  it('completes the missing tickets of a file cut short after its first invoice', async () => {
    const bytes = fp('CRASH', 3);
    // The first sending stops after body 0 (its ticket and row written, the rest not).
    const cut = await receiveEInvoice(acme(), { filename: 'crash.xml' }, bytes, { stopAfter: 1 });
    expect(cut.invoices).to.have.length(1);
    expect(
      await EInvoiceRecord.countDocuments({ fileHash: cut.fileHash }).setOptions({ allTenants: true }),
    ).to.equal(1);
    const retry = await receiveEInvoice(acme(), { filename: 'crash.xml' }, bytes);
    expect(retry.invoices.map((i) => i.created)).to.deep.equal([false, true, true]);
    expect(retry.invoices[0]!.ticket.number).to.equal(cut.invoices[0]!.ticket.number);
    expect(
      await EInvoiceRecord.countDocuments({ fileHash: cut.fileHash }).setOptions({ allTenants: true }),
    ).to.equal(3);
    expect(
      await Ticket.countDocuments({ _id: { $in: retry.invoices.map((i) => i.ticket.id) } }).setOptions({
        allTenants: true,
      }),
    ).to.equal(3);
  });

  it('keeps tenants apart: the same file for another tenant makes its own tickets', async () => {
    const bytes = fp('TEN', 1);
    const a = await receiveEInvoice(acme(), { filename: 'x.xml' }, bytes);
    const n = await receiveEInvoice(userCtx(world.users.nordAdmin), { filename: 'x.xml' }, bytes);
    expect(n.invoices[0]!.created).to.equal(true);
    expect(String(n.invoices[0]!.ticket.id)).to.not.equal(String(a.invoices[0]!.ticket.id));
    expect(n.invoices[0]!.ticket.duplicateOf).to.equal(null);
  });

  it('a ZIP: a ticket per invoice of its readable files, the findings of the others on the receipt', async () => {
    const archive = zip([
      { name: 'good.xml', data: fp('ZIPGOOD') },
      { name: 'bad.xml', data: Buffer.from('<notAnInvoice/>') },
    ]);
    const receipt = await receiveEInvoice(acme(), { filename: 'mixed.zip' }, archive);
    expect(receipt.invoices.map((i) => i.entryName)).to.deep.equal(['good.xml']);
    expect(receipt.findings.map((f) => f.rule)).to.include('file.format');
    const original = await Attachment.findById(receipt.attachmentId).setOptions({ allTenants: true }).lean();
    expect(original!.contentType).to.equal('application/zip');
  });

  it('a sending cut between a ticket and its row: the ticket is not made twice, its row is written', async () => {
    const bytes = fp('HALF', 2);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const tenantId = world.acme._id;
    // As if the first sending had stored the ticket of body 1 and stopped before its row.
    const invoice = (await readEInvoice(bytes, 'half.xml')).files[0]!.invoices[1]!;
    const early = await createTicket(acme(), ticketInputOf(invoice, 'half.xml'), 'api', [], {
      id: einvoiceTicketId(tenantId, hash, 1),
    });
    const receipt = await receiveEInvoice(acme(), { filename: 'half.xml' }, bytes);
    expect(receipt.invoices[1]!.ticket.number).to.equal(early.number);
    expect(
      await Ticket.countDocuments({ _id: { $in: receipt.invoices.map((i) => i.ticket.id) } }).setOptions({
        allTenants: true,
      }),
    ).to.equal(2);
    expect(await EInvoiceRecord.countDocuments({ fileHash: hash }).setOptions({ allTenants: true })).to.equal(
      2,
    );
  });
});
