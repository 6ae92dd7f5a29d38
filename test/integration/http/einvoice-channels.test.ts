import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { apiClient, binary, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { sendSmtp } from '../../support/mail-helpers.js';
import { decodeHtml } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';
import { makeSigner, type Signer } from '../../domain/einvoices/openssl.js';
import { zip } from '../../domain/einvoices/zip.js';

const DOMAIN = 'in.desk.test';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Sample {
  filename: string;
  data: Buffer;
  format: string;
  kind: 'invoice' | 'credit_note';
  /** Signers outermost first; undefined for an unsigned file. */
  signers?: string[];
  verified?: boolean;
}

/**
 * Issue 17, Tests: every format by every channel, end to end on the real portal (the invoice
 * form, POST /api/v1/einvoices, a mail to the invoice address through the SMTP listener), and
 * hostile files on each channel answered with a refusal or a finding, never a 5xx.
 */
describe('e-invoices: every format by every channel, end to end', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let api: ReturnType<typeof apiClient>;
  let form: Agent;
  let port: number;
  let signer: Signer;
  let second: Signer;
  let seq = 0;
  const unique = (what: string): string => `${what}-${Date.now().toString(36)}-${++seq}`;

  before(async () => {
    tp = await startTestPortal('einvoice-channels', {
      INBOUND_SMTP_PORT: '0',
      INBOUND_MAIL_DOMAIN: DOMAIN,
      INBOUND_MAX_BYTES: '2000000',
    });
    world = await makeWorld();
    api = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    form = await signedInAgent(tp.url, world.users.acmeUser.email);
    port = tp.portal.inboundSmtpPort as number;
    signer = makeSigner();
    second = makeSigner('Studio Bianchi', 'Bianchi Commercialisti');
  });
  after(async () => {
    signer?.cleanup();
    second?.cleanup();
    await tp?.stop();
  });

  const fp = (number: string): Buffer =>
    Buffer.from(fatturaPA({ bodies: [{ number, due: [{ date: '2026-04-30', amount: '122.00' }] }] }));

  /** Each format the issue names, made for the invoice number `id`. */
  const formats: Record<string, (id: string) => Sample> = {
    'FatturaPA, plain': (id) => ({
      filename: `IT01234567897_${id}.xml`,
      data: fp(id),
      format: 'fatturapa',
      kind: 'invoice',
    }),
    'FatturaPA .p7m, DER': (id) => ({
      filename: `${id}.xml.p7m`,
      data: signer.sign(fp(id)),
      format: 'fatturapa',
      kind: 'invoice',
      signers: [signer.subject],
      verified: true,
    }),
    'FatturaPA .p7m, base64 text': (id) => ({
      filename: `${id}.xml.p7m`,
      data: Buffer.from(
        signer
          .sign(fp(id))
          .toString('base64')
          .replace(/(.{76})/g, '$1\r\n'),
      ),
      format: 'fatturapa',
      kind: 'invoice',
      signers: [signer.subject],
      verified: true,
    }),
    'FatturaPA .p7m, PEM': (id) => ({
      filename: `${id}.xml.p7m`,
      data: signer.sign(fp(id), { form: 'PEM' }),
      format: 'fatturapa',
      kind: 'invoice',
      signers: [signer.subject],
      verified: true,
    }),
    'FatturaPA .p7m, streamed (BER, chunked)': (id) => ({
      filename: `${id}.xml.p7m`,
      data: signer.sign(fp(id), { stream: true }),
      format: 'fatturapa',
      kind: 'invoice',
      signers: [signer.subject],
      verified: true,
    }),
    'FatturaPA .p7m, nested (signed twice)': (id) => ({
      filename: `${id}.xml.p7m.p7m`,
      data: second.sign(signer.sign(fp(id), { stream: true })),
      format: 'fatturapa',
      kind: 'invoice',
      signers: [second.subject, signer.subject],
      verified: true,
    }),
    'Peppol BIS 3 Invoice': (id) => ({
      filename: `${id}.xml`,
      data: Buffer.from(ubl({ id })),
      format: 'peppol-bis3',
      kind: 'invoice',
    }),
    'Peppol BIS 3 CreditNote': (id) => ({
      filename: `${id}.xml`,
      data: Buffer.from(ubl({ root: 'CreditNote', id, corrects: 'NOT-IN-PORTAL' })),
      format: 'peppol-bis3',
      kind: 'credit_note',
    }),
    'OIOUBL 2.1': (id) => ({
      filename: `${id}.xml`,
      data: Buffer.from(ubl({ id, flavour: 'oioubl' })),
      format: 'oioubl',
      kind: 'invoice',
    }),
  };

  /** The channels, each sending one file and answering the ticket numbers it opened. */
  const channels: Record<string, { name: string; send: (s: Sample, id: string) => Promise<string[]> }> = {
    form: {
      name: 'portal',
      async send(s) {
        const page = await form.get('/tickets/new/invoice').expect(200);
        const res = await form
          .post('/tickets/new/invoice')
          .field('_csrf', csrfFrom(page.text))
          .field('einvoiceUpload', '1')
          .attach('einvoices', s.data, s.filename);
        expect(res.status, res.text.slice(0, 500)).to.equal(201);
        return [...res.text.matchAll(/data-testid="einvoice-ticket" href="\/tickets\/([^"]+)"/g)].map(
          (m) => m[1]!,
        );
      },
    },
    API: {
      name: 'api',
      async send(s) {
        const res = await api
          .post(`/einvoices?filename=${encodeURIComponent(s.filename)}`)
          .set('Content-Type', s.filename.endsWith('.xml') ? 'application/xml' : 'application/pkcs7-mime')
          .send(s.data);
        expect(res.status, JSON.stringify(res.body).slice(0, 500)).to.equal(201);
        return (res.body as { invoices: { ticket: { number: string } }[] }).invoices.map(
          (i) => i.ticket.number,
        );
      },
    },
    SMTP: {
      name: 'email',
      async send(s, id) {
        const { response } = await sendSmtp(port, {
          from: world.users.acmeUser.email,
          to: `${world.acme.code}+invoice@${DOMAIN}`,
          subject: `Fattura ${id}`,
          text: 'In allegato.',
          attachments: [{ filename: s.filename, content: s.data, contentType: 'application/octet-stream' }],
        });
        expect(response).to.match(/^250 .*created/);
        const tickets = await Ticket.find({ tenantId: world.acme._id, 'fields.invoiceNumber': id }).lean();
        return tickets.map((t) => t.number);
      },
    },
  };

  for (const [channel, { name, send }] of Object.entries(channels)) {
    describe(`by ${channel}`, () => {
      for (const [label, make] of Object.entries(formats)) {
        it(`${label}: one ticket with the file's fields, format, signature and the original`, async () => {
          const id = unique(`${name}-${Object.keys(formats).indexOf(label)}`.toUpperCase());
          const sample = make(id);
          const numbers = await send(sample, id);
          expect(numbers).to.have.length(1);
          const ticket = await Ticket.findOne({ tenantId: world.acme._id, number: numbers[0] }).lean();
          expect(ticket!.type).to.equal('invoice');
          expect(ticket!.channel).to.equal(name);
          expect((ticket!.fields as { invoiceNumber?: string }).invoiceNumber).to.equal(id);
          expect((ticket!.fields as { supplierVat?: string }).supplierVat).to.equal(
            sample.format === 'fatturapa' ? 'IT01234567897' : 'DK12345674',
          );
          const row = await EInvoiceRecord.findOne({
            tenantId: world.acme._id,
            ticketId: ticket!._id,
          }).lean();
          expect(row, 'the e-invoice row').to.not.equal(null);
          expect(row!.format).to.equal(sample.format);
          expect(row!.kind).to.equal(sample.kind);
          expect(row!.fileHash).to.equal(sha(sample.data));
          expect(row!.lines.length).to.be.greaterThan(0);
          expect(row!.vatSummary.length).to.be.greaterThan(0);
          if (sample.signers) {
            expect(row!.signature).to.deep.include({ verified: sample.verified, signers: sample.signers });
          } else {
            expect(row!.signature ?? null).to.equal(null);
          }
          // The original, byte for byte, from the API and from the page's link.
          const download = await api
            .get(`/attachments/${String(row!.attachmentId)}`)
            .buffer(true)
            .parse(binary)
            .expect(200);
          expect(sha(download.body as Buffer)).to.equal(sha(sample.data));
          const page = await form.get(`/tickets/${numbers[0]}`).expect(200);
          expect(page.text).to.include(`href="/attachments/${String(row!.attachmentId)}"`);
        });
      }
    });
  }

  /** Files that must be refused (or read with a finding), never a 5xx, on every channel. */
  const tampered = (id: string): Buffer => {
    const p7m = Buffer.from(signer.sign(fp(id)));
    const at = p7m.indexOf(id);
    p7m[at] = 'x'.charCodeAt(0); // the first character of the invoice number, inside the signed content
    return p7m;
  };
  const hostile: Record<string, () => { filename: string; data: Buffer }> = {
    'XXE (external entity)': () => ({
      filename: 'xxe.xml',
      data: Buffer.from(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
      ),
    }),
    'entity expansion (billion laughs)': () => ({
      filename: 'lol.xml',
      data: Buffer.from(
        `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
          { length: 9 },
          (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`,
        ).join('')}]><lolz>&lol9;</lolz>`,
      ),
    }),
    'a broken .p7m envelope': () => ({
      filename: 'broken.xml.p7m',
      data: Buffer.concat([Buffer.from([0x30, 0x82, 0x7f, 0xff, 0x06, 0x09]), Buffer.alloc(64, 7)]),
    }),
    'a truncated .p7m': () => ({ filename: 'cut.xml.p7m', data: signer.sign(fp('CUT')).subarray(0, 300) }),
    'a truncated ZIP': () => ({
      filename: 'cut.zip',
      data: zip([{ name: 'a.xml', data: fp('ZCUT') }]).subarray(0, 40),
    }),
    'an empty file': () => ({ filename: 'empty.xml', data: Buffer.alloc(0) }),
    'random bytes named .xml': () => ({
      filename: 'noise.xml',
      data: Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256)),
    }),
    'XML that is not an e-invoice': () => ({ filename: 'note.xml', data: Buffer.from('<note>ciao</note>') }),
    'a FatturaPA cut in the middle': () => ({ filename: 'half.xml', data: fp('HALF').subarray(0, 400) }),
  };

  describe('hostile and broken files', () => {
    for (const [label, make] of Object.entries(hostile)) {
      it(`${label}: refused on the form (422), the API (422) and by mail (a plain ticket), never a 5xx`, async () => {
        const file = make();
        const before = await Ticket.countDocuments({ tenantId: world.acme._id });
        const page = await form.get('/tickets/new/invoice').expect(200);
        const onForm = await form
          .post('/tickets/new/invoice')
          .field('_csrf', csrfFrom(page.text))
          .field('einvoiceUpload', '1')
          .attach('einvoices', file.data, file.filename);
        expect(onForm.status).to.equal(422);
        // An empty file is no file at all to the form ("choose at least one file").
        expect(decodeHtml(onForm.text)).to.include(
          file.data.length
            ? `${file.filename} è stato rifiutato:`
            : 'Scegli almeno un file di fattura elettronica.',
        );
        expect(onForm.text).to.not.match(/einvoices\.[a-z_]+\.[a-z_]/);

        const byApi = await api
          .post(`/einvoices?filename=${encodeURIComponent(file.filename)}`)
          .set('Content-Type', 'application/octet-stream')
          .send(file.data);
        expect(byApi.status, JSON.stringify(byApi.body)).to.be.oneOf([400, 413, 422]);
        expect(await Ticket.countDocuments({ tenantId: world.acme._id })).to.equal(before);

        const subject = unique('Hostile');
        const { response } = await sendSmtp(port, {
          from: world.users.acmeUser.email,
          to: `${world.acme.code}+invoice@${DOMAIN}`,
          subject,
          text: 'x',
          attachments: [
            { filename: file.filename, content: file.data, contentType: 'application/octet-stream' },
          ],
        });
        expect(response).to.match(/^250 /);
        // The mail still becomes one ordinary invoice ticket carrying the file (the findings in a note).
        const kept = await Ticket.find({ tenantId: world.acme._id, subject }).lean();
        expect(kept.map((t) => t.type)).to.deep.equal(['invoice']);
        expect(
          await EInvoiceRecord.countDocuments({ tenantId: world.acme._id, ticketId: kept[0]!._id }),
        ).to.equal(0);
        // The portal is still up and answering.
        await form.get('/tickets/new/invoice').expect(200);
      });
    }

    it('a tampered .p7m is read on every channel with its signature marked not verified', async () => {
      for (const [channel, { send }] of Object.entries(channels)) {
        const id = unique(`TAMP-${channel}`);
        const data = tampered(id);
        const numbers = await send(
          { filename: `${id}.xml.p7m`, data, format: 'fatturapa', kind: 'invoice' },
          `x${id.slice(1)}`,
        );
        expect(numbers, channel).to.have.length(1);
        const ticket = await Ticket.findOne({ tenantId: world.acme._id, number: numbers[0] }).lean();
        const row = await EInvoiceRecord.findOne({ tenantId: world.acme._id, ticketId: ticket!._id }).lean();
        expect(row!.signature, channel).to.deep.include({ verified: false, signers: [signer.subject] });
        expect(
          row!.findings.map((f: { rule: string }) => f.rule),
          channel,
        ).to.include('p7m.not_verified');
      }
    });
  });
});
