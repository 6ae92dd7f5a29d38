import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Attachment } from '../../../models/attachment.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { einvoiceReceiptJson, errorJson } from '../../../server/http/api/schemas.js';
import { apiClient, binary, tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { signedInAgent } from '../../support/browser-session.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';
import { makeSigner, type Signer } from '../../domain/einvoices/openssl.js';
import { zip } from '../../domain/einvoices/zip.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** POST /api/v1/einvoices: the file as it is in, one invoice ticket per invoice out. */
describe('REST API: e-invoices in', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: ReturnType<typeof apiClient>;
  let nord: ReturnType<typeof apiClient>;
  let signer: Signer;

  before(async () => {
    tp = await startTestPortal('api-einvoices');
    world = await makeWorld();
    acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    nord = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
    signer = makeSigner();
  });
  after(async () => {
    signer?.cleanup();
    await tp?.stop();
  });

  const fp = (number: string, bodies = 1) =>
    Buffer.from(
      fatturaPA({
        bodies: Array.from({ length: bodies }, (_, i) => ({
          number: `${number}-${i + 1}`,
          due: [{ date: '2026-04-30', amount: '122.00' }],
        })),
      }),
    );
  const send = (bytes: Buffer, type = 'application/xml', filename?: string, client = acme) => {
    const req = client.post(`/einvoices${filename ? `?filename=${encodeURIComponent(filename)}` : ''}`);
    return req.set('Content-Type', type).send(bytes);
  };

  it('opens one ticket for a plain FatturaPA, with the fields from the file and the original downloadable', async () => {
    const bytes = fp('API');
    const res = await send(bytes, 'application/xml', 'IT01234567897_API.xml').expect(201);
    const receipt = einvoiceReceiptJson.parse(res.body);
    expect(receipt.invoices).to.have.length(1);
    const [invoice] = receipt.invoices;
    expect(invoice).to.deep.include({ format: 'fatturapa', kind: 'invoice', created: true, index: 0 });
    expect(invoice!.ticket.url).to.equal(`/api/v1/tickets/${invoice!.ticket.number}`);
    expect(invoice!.ticket.duplicateOf).to.equal(null);
    // The buyer cannot be checked (the client has no VAT number on file): an info finding, in English.
    expect(invoice!.findings.map((f) => f.rule)).to.include('bpo.buyer_unchecked');
    expect(invoice!.findings.every((f) => !f.message.startsWith('einvoices.'))).to.equal(true);
    const ticket = await acme.get(invoice!.ticket.url.replace('/api/v1', '')).expect(200);
    expect(ticket.body.type).to.equal('invoice');
    expect(ticket.body.channel).to.equal('api');
    expect(ticket.body.fields).to.deep.include({
      supplierVat: 'IT01234567897',
      invoiceNumber: 'API-1',
      currency: 'EUR',
      dueDate: '2026-04-30',
    });
    expect(receipt.file.sha256).to.equal(sha(bytes));
    const download = await acme
      .get(receipt.file.attachment.url.replace('/api/v1', ''))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(sha(download.body as Buffer)).to.equal(sha(bytes));
    expect(download.headers['content-type']).to.match(/^application\/xml/);
  });

  it('opens one ticket per body of a multi-body FatturaPA, linked by the file', async () => {
    const res = await send(fp('MULTI', 3), 'application/xml', 'multi.xml').expect(201);
    const receipt = einvoiceReceiptJson.parse(res.body);
    expect(receipt.invoices.map((i) => i.index)).to.deep.equal([0, 1, 2]);
    expect(new Set(receipt.invoices.map((i) => i.ticket.number)).size).to.equal(3);
    const rows = await EInvoiceRecord.find({ fileHash: receipt.file.sha256 })
      .setOptions({ allTenants: true })
      .sort({ bodyIndex: 1 })
      .lean();
    expect(rows).to.have.length(3);
    expect(rows[0]!.siblingTicketIds.map(String).sort()).to.deep.equal(
      [receipt.invoices[1]!.ticket.id, receipt.invoices[2]!.ticket.id].sort(),
    );
  });

  it('takes Peppol BIS 3 and OIOUBL, a signed .p7m and a ZIP of files', async () => {
    const peppol = einvoiceReceiptJson.parse(
      (await send(Buffer.from(ubl({ id: 'PEP-API' })), 'text/xml').expect(201)).body,
    );
    expect(peppol.invoices[0]!.format).to.equal('peppol-bis3');
    const oio = einvoiceReceiptJson.parse(
      (await send(Buffer.from(ubl({ id: 'OIO-API', flavour: 'oioubl' })), 'application/xml').expect(201))
        .body,
    );
    expect(oio.invoices[0]!.format).to.equal('oioubl');
    const ticket = await acme.get(`/tickets/${oio.invoices[0]!.ticket.number}`).expect(200);
    expect(ticket.body.fields).to.deep.include({ supplierVat: 'DK12345674', currency: 'DKK' });

    const signed = einvoiceReceiptJson.parse(
      (await send(signer.sign(fp('P7M')), 'application/pkcs7-mime', 'IT01234567897_P7M.xml.p7m').expect(201))
        .body,
    );
    expect(signed.invoices[0]!.findings.map((f) => f.rule)).to.include('p7m.not_trusted');
    const row = await EInvoiceRecord.findOne({ fileHash: signed.file.sha256 })
      .setOptions({ allTenants: true })
      .lean();
    expect(row!.signature).to.deep.include({ verified: true, signers: [signer.subject] });

    const archive = zip([
      { name: 'a.xml', data: fp('ZIP-A') },
      { name: 'b.xml', data: Buffer.from(ubl({ id: 'ZIP-B' })) },
    ]);
    const zipped = einvoiceReceiptJson.parse(
      (await send(archive, 'application/zip', 'batch.zip').expect(201)).body,
    );
    expect(zipped.invoices.map((i) => [i.entry, i.format])).to.deep.equal([
      ['a.xml', 'fatturapa'],
      ['b.xml', 'peppol-bis3'],
    ]);
  });

  it('refuses an XXE file with 422 and its findings, storing nothing', async () => {
    const xxe = Buffer.from(
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    );
    const tickets = await Ticket.countDocuments({}).setOptions({ allTenants: true });
    const attachments = await Attachment.countDocuments({}).setOptions({ allTenants: true });
    const res = await send(xxe, 'application/xml', 'evil.xml').expect(422);
    const body = errorJson.parse(res.body);
    expect(body.error.code).to.equal('validation');
    expect(body.error.fields?.length).to.be.greaterThan(0);
    expect(await Ticket.countDocuments({}).setOptions({ allTenants: true })).to.equal(tickets);
    expect(await Attachment.countDocuments({}).setOptions({ allTenants: true })).to.equal(attachments);
    expect(
      await EInvoiceRecord.countDocuments({ fileHash: sha(xxe) }).setOptions({ allTenants: true }),
    ).to.equal(0);
    // Not an e-invoice content type at all: 415.
    await acme.post('/einvoices').set('Content-Type', 'text/plain').send('hello').expect(415);
  });

  it('refuses a ZIP whose file unpacks too large with 422, the sizes written for the reader', async () => {
    // 17 MB of spaces, 17 kB packed: refused from its declared size (limit 16 MB), never inflated.
    const big = zip([{ name: 'big.xml', data: Buffer.alloc(17 * 1024 * 1024, 0x20) }]);
    const messages = async (client: typeof acme) =>
      errorJson
        .parse((await send(big, 'application/zip', 'big.zip', client).expect(422)).body)
        .error.fields?.map((f) => f.message);
    // Acme's admin reads Italian, Nord's Danish: the limit as a file size, not 16777216 bytes.
    expect(await messages(acme)).to.deep.equal(['big.xml decompresso supera 16 MB: non è stato letto.']);
    expect(await messages(nord)).to.deep.equal([
      'big.xml fylder mere end 16 MB udpakket: den blev ikke læst.',
    ]);
  });

  it('the same file twice: no second set; the same invoice in other bytes is flagged a duplicate', async () => {
    const bytes = fp('DUP', 2);
    const first = einvoiceReceiptJson.parse(
      (await send(bytes, 'application/xml', 'dup.xml').expect(201)).body,
    );
    const again = einvoiceReceiptJson.parse(
      (await send(bytes, 'application/xml', 'dup.xml').expect(200)).body,
    );
    expect(again.invoices.map((i) => i.created)).to.deep.equal([false, false]);
    expect(again.invoices.map((i) => i.ticket.number)).to.deep.equal(
      first.invoices.map((i) => i.ticket.number),
    );
    const signed = einvoiceReceiptJson.parse(
      (await send(signer.sign(bytes), 'application/octet-stream', 'dup.xml.p7m').expect(201)).body,
    );
    expect(signed.invoices.map((i) => i.ticket.duplicateOf)).to.deep.equal(
      first.invoices.map((i) => i.ticket.number),
    );
  });

  it('keeps another tenant out: its token sees neither the file nor the tickets (404)', async () => {
    const receipt = einvoiceReceiptJson.parse((await send(fp('PRIV')).expect(201)).body);
    await nord.get(`/tickets/${receipt.invoices[0]!.ticket.number}`).expect(404);
    await nord.get(`/attachments/${receipt.file.attachment.id}`).expect(404);
    // The same file sent by the other tenant makes that tenant's own ticket, no duplicate of acme's.
    const theirs = einvoiceReceiptJson.parse(
      (await send(fp('PRIV'), 'application/xml', 'x.xml', nord).expect(201)).body,
    );
    expect(theirs.invoices[0]!.ticket.duplicateOf).to.equal(null);
    expect(theirs.invoices[0]!.ticket.id).to.not.equal(receipt.invoices[0]!.ticket.id);
  });
});

describe('ticket page: the e-invoice section', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let signer: Signer;
  before(async () => {
    tp = await startTestPortal('einvoice-page');
    world = await makeWorld();
    signer = makeSigner();
  });
  after(async () => {
    signer?.cleanup();
    await tp?.stop();
  });

  it("shows findings, signature, lines and VAT summary in the reader's language, and the original", async () => {
    const acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    const bytes = Buffer.from(
      fatturaPA({
        bodies: [
          {
            number: 'PAGE-1',
            lines: [
              {
                description: 'Trasporto Verona',
                quantity: '2',
                unitPrice: '50.00',
                total: '100.00',
                rate: '22',
              },
            ],
            summary: [{ rate: '22', taxable: '100.00', tax: '22.00' }],
            due: [{ date: '2026-01-01', amount: '122.00' }],
          },
          { number: 'PAGE-2' },
        ],
      }),
    );
    const res = await acme
      .post('/einvoices?filename=IT01234567897_PAGE.xml.p7m')
      .set('Content-Type', 'application/pkcs7-mime')
      .send(signer.sign(bytes))
      .expect(201);
    const receipt = einvoiceReceiptJson.parse(res.body);
    const [first, second] = receipt.invoices;
    // The builder's issue date is after 2026-01-01: a due date before it is an error finding.
    expect(first!.findings.map((f) => f.rule)).to.include('bpo.due_before_issue');

    const agent = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    const page = await agent.get(`/tickets/${first!.ticket.number}`).set('Accept-Language', 'it').expect(200);
    const html = page.text;
    expect(html).to.include('data-testid="einvoice"');
    expect(html).to.include('data-rule="bpo.due_before_issue"');
    expect(html).to.include('Fattura elettronica');
    expect(html).to.include('firma verificata');
    expect(html).to.include('Mario Rossi'); // the subject, HTML-escaped (`=` is &#x3D;)
    expect(html).to.include('Trasporto Verona');
    expect(html).to.include(`href="/tickets/${second!.ticket.number}"`);
    expect(html).to.include(`href="/attachments/${receipt.file.attachment.id}"`);
    expect(html).to.not.match(/einvoices\.(page|bpo)\./);
    // The original downloads from the page's link too.
    await agent.get(`/attachments/${receipt.file.attachment.id}`).expect(200);
    // Another tenant's user: the ticket does not exist for them.
    const nord = await signedInAgent(tp.url, world.users.nordAdmin.email);
    await nord.get(`/tickets/${first!.ticket.number}`).expect(404);
  });
});
