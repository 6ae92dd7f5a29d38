import { expect } from 'chai';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { sendSmtp } from '../../support/mail-helpers.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';

const DOMAIN = 'in.desk.test';

/**
 * Issue 17 item 6 end to end: the duplicate rule (issue date + supplier VAT + number) over every
 * channel (form, API, SMTP) and format (FatturaPA, Peppol, OIOUBL), typed first or file first.
 */
describe('duplicate invoices across channels and formats', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  let acme: ReturnType<typeof apiClient>;
  let nord: ReturnType<typeof apiClient>;
  let client: Agent;
  let port: number;
  let seq = 0;
  const unique = (what: string): string => `${what}-${Date.now().toString(36)}-${++seq}`;

  before(async () => {
    tp = await startTestPortal('einvoice-duplicates', {
      INBOUND_SMTP_PORT: '0',
      INBOUND_MAIL_DOMAIN: DOMAIN,
      INBOUND_MAX_BYTES: '2000000',
    });
    world = await makeWorld();
    acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    nord = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
    port = tp.portal.inboundSmtpPort as number;
  });
  after(() => tp?.stop());

  /** A FatturaPA of Rossi Trasporti (IT01234567897) or another supplier; `note` changes the bytes only. */
  const fp = (number: string, date: string, note = '', supplier?: { country: string; code: string }) =>
    Buffer.from(
      fatturaPA({
        ...(supplier ? { supplier: { ...supplier, name: 'Nordisk Rådgivning ApS' } } : {}),
        bodies: [{ number, date, due: [{ date: '2026-04-30', amount: '122.00' }] }],
      }) + note,
    );
  /** The same invoice as a Peppol BIS 3 file. */
  const peppol = (id: string, issueDate: string, vat = 'IT01234567897', country = 'IT') =>
    Buffer.from(
      ubl({ id, issueDate, dueDate: '2026-04-30', supplier: { name: 'Rossi Trasporti', vat, country } }),
    );

  const viaApi = async (bytes: Buffer, name = 'f.xml', who = acme) => {
    const res = await who
      .post(`/einvoices?filename=${encodeURIComponent(name)}`)
      .set('Content-Type', 'application/xml')
      .send(bytes);
    expect([200, 201], JSON.stringify(res.body)).to.include(res.status);
    return einvoiceReceiptJson.parse(res.body).invoices[0]!;
  };
  /** The invoice form's file upload: the ticket numbers the answer page lists. */
  const viaForm = async (bytes: Buffer, name = 'f.xml'): Promise<{ numbers: string[]; text: string }> => {
    const page = await client.get('/tickets/new/invoice').expect(200);
    const res = await client
      .post('/tickets/new/invoice')
      .field('_csrf', csrfFrom(page.text))
      .field('einvoiceUpload', '1')
      .attach('einvoices', bytes, name);
    expect(res.status).to.equal(201);
    return {
      numbers: [...res.text.matchAll(/data-testid="einvoice-ticket" href="\/tickets\/([^"]+)"/g)].map(
        (m) => m[1]!,
      ),
      text: decodeHtml(textOf(res.text)),
    };
  };
  const viaMail = (subject: string, name: string, bytes: Buffer) =>
    sendSmtp(port, {
      from: world.users.acmeUser.email,
      to: `${world.acme.code}+invoice@${DOMAIN}`,
      subject,
      text: 'In allegato la fattura.',
      attachments: [{ filename: name, content: bytes, contentType: 'application/octet-stream' }],
    });
  /** The invoice form typed by hand (the Italian client user), as a browser posts it. */
  const typed = async (vat: string, invoiceNumber: string, issueDate: string) => {
    const page = await client.get('/tickets/new/invoice').expect(200);
    const fields: Record<string, string> = {
      _csrf: csrfFrom(page.text),
      subject: `Fattura ${invoiceNumber}`,
      description: '',
      priority: 'normal',
      'fields.supplierName': 'Fornitore',
      'fields.supplierVat': vat,
      'fields.invoiceNumber': invoiceNumber,
      'fields.issueDate': issueDate,
      'fields.dueDate': '2026-12-31',
      'fields.amount': '122,00',
      'fields.currency': 'EUR',
    };
    let req = client.post('/tickets/new/invoice');
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    const res = await req;
    expect(res.status, textOf(res.text ?? '').slice(0, 300)).to.equal(302);
    return stored(res.headers.location!.split('/').pop()!);
  };
  const stored = async (number: string) => {
    const t = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
    expect(t, number).to.not.equal(null);
    return t!;
  };
  const byInvoiceNumber = (invoiceNumber: string) =>
    Ticket.find({ tenantId: world.acme._id, 'fields.invoiceNumber': invoiceNumber }).sort({ seq: 1 }).lean();

  it('typed first: the same invoice as FatturaPA by API, Peppol by mail and FatturaPA by the form is flagged, with a finding', async () => {
    const n = unique('TF');
    const first = await typed('IT 0123 4567 897', n.toLowerCase(), '2026-03-02');
    expect(first.duplicateOf).to.equal(null);

    const api = await viaApi(fp(n, '2026-03-02'));
    expect(api.ticket.duplicateOf).to.equal(first.number);
    const said = api.findings.find((f) => f.rule === 'bpo.duplicate');
    expect(said?.severity).to.equal('warning');
    expect(said?.message).to.include(first.number);
    // Sent again, the answer says it again.
    const resent = await viaApi(fp(n, '2026-03-02'));
    expect(resent.created).to.equal(false);
    expect(resent.findings.map((f) => f.rule)).to.include('bpo.duplicate');

    const mail = await viaMail(`Fattura ${n}`, 'peppol.xml', peppol(` ${n} `, '2026-03-02'));
    expect(mail.response).to.match(/^250 /);
    const form = await viaForm(fp(n, '2026-03-02', '<!-- re-exported -->'));
    const all = await byInvoiceNumber(n);
    const viaMailTicket = all.find((t) => t.channel === 'email');
    expect(viaMailTicket?.duplicateOf?.number).to.equal(first.number);
    expect((await stored(form.numbers[0]!)).duplicateOf?.number).to.equal(first.number);
    // The checklist of each file's ticket says it; the page links the first ticket.
    const record = await EInvoiceRecord.findOne({
      tenantId: world.acme._id,
      ticketId: viaMailTicket!._id,
    }).lean();
    expect(record?.findings.map((f) => f.rule)).to.include('bpo.duplicate');
    const page = await client.get(`/tickets/${form.numbers[0]}`).expect(200);
    expect(page.text).to.include(`href="/tickets/${first.number}"`);
    expect(decodeHtml(textOf(page.text))).to.include(first.number);
  });

  it('file first: a typed ticket (API, form) and the same invoice in the other format are flagged', async () => {
    const n = unique('FF');
    // An OIOUBL file: the supplier's VAT under DK:SE without its country prefix.
    const oio = Buffer.from(
      ubl({
        flavour: 'oioubl',
        id: n,
        issueDate: '2026-03-05',
        supplier: { name: 'Nordisk Rådgivning ApS', vat: '12345674', country: 'DK' },
      }),
    );
    const file = await viaForm(oio, 'oioubl.xml');
    const original = file.numbers[0]!;
    expect((await stored(original)).duplicateOf).to.equal(null);

    const api = await acme
      .post('/tickets')
      .send(
        bodies.invoice({
          supplierVat: 'dk-12 34 56 74',
          invoiceNumber: ` ${n.toUpperCase()} `,
          issueDate: '2026-03-05',
        }),
      )
      .expect(201);
    expect(api.body.duplicateOf).to.deep.equal({ number: original });
    const form = await typed('DK12345674', n, '2026-03-05');
    expect(form.duplicateOf?.number).to.equal(original);
    // FatturaPA from a Danish supplier, through the API: the other format, same invoice.
    const other = await viaApi(fp(n, '2026-03-05', '', { country: 'DK', code: '12345674' }));
    expect(other.ticket.duplicateOf).to.equal(original);
    // And in the other order: FatturaPA first, then the Peppol file.
    const m = unique('FP');
    const fpFirst = await viaApi(fp(m, '2026-03-06'));
    expect(fpFirst.ticket.duplicateOf).to.equal(null);
    expect((await viaApi(peppol(m, '2026-03-06'))).ticket.duplicateOf).to.equal(fpFirst.ticket.number);
  });

  it('a re-sent file on any channel opens nothing twice; re-exported bytes are a flagged duplicate', async () => {
    const n = unique('RS');
    const bytes = fp(n, '2026-03-09');
    const first = await viaApi(bytes);
    expect([first.created, first.ticket.duplicateOf]).to.deep.equal([true, null]);
    const again = await viaApi(bytes, 'again.xml');
    expect([again.created, again.ticket.number]).to.deep.equal([false, first.ticket.number]);
    const form = await viaForm(bytes, 'again.xml');
    expect(form.numbers).to.deep.equal([first.ticket.number]);
    expect(form.text).to.include('(già ricevuta)');
    expect((await viaMail(`Again ${n}`, 'again.xml', bytes)).response).to.match(/^250 /);
    expect((await byInvoiceNumber(n)).map((t) => t.number)).to.deep.equal([first.ticket.number]);
    // The same invoice exported again (other bytes), by mail: a new ticket flagged as its duplicate.
    await viaMail(`Re-export ${n}`, 're.xml', fp(n, '2026-03-09', '\n<!-- exported again -->'));
    const tickets = await byInvoiceNumber(n);
    expect(tickets.map((t) => t.duplicateOf?.number ?? null)).to.deep.equal([null, first.ticket.number]);
  });

  it('another issue date is another invoice, on every route', async () => {
    const n = unique('DD');
    const first = await viaApi(fp(n, '2026-03-10'));
    expect((await viaApi(fp(n, '2026-03-11'))).ticket.duplicateOf).to.equal(null);
    expect((await viaApi(peppol(n, '2026-03-12'))).ticket.duplicateOf).to.equal(null);
    expect((await typed('IT01234567897', n, '2026-03-13')).duplicateOf).to.equal(null);
    // The first date again: that one is the duplicate.
    expect((await typed('IT01234567897', n, '2026-03-10')).duplicateOf?.number).to.equal(first.ticket.number);
  });

  it('copies arriving at the same time: exactly one original, the others its duplicates', async () => {
    const n = unique('RACE');
    // Different bytes each (two formats, notes), all the same invoice, over the API and the mail at once.
    const files = Array.from({ length: 6 }, (_, i) =>
      i % 2 ? peppol(n, '2026-03-16') : fp(n, '2026-03-16', `<!-- copy ${i} -->`),
    );
    const typedAtOnce = acme
      .post('/tickets')
      .send(bodies.invoice({ supplierVat: 'IT01234567897', invoiceNumber: n, issueDate: '2026-03-16' }));
    await Promise.all([
      ...files.slice(0, 4).map((f, i) => viaApi(f, `c${i}.xml`)),
      ...files.slice(4).map((f, i) => viaMail(`Copy ${i}`, `m${i}.xml`, f)),
      typedAtOnce,
    ]);
    const tickets = await byInvoiceNumber(n);
    // 6 files, the three Peppol ones the same bytes (one ticket): 4 file tickets and the typed one.
    expect(tickets).to.have.length(5);
    const originals = tickets.filter((t) => !t.duplicateOf);
    expect(originals, 'exactly one original').to.have.length(1);
    for (const t of tickets)
      if (t !== originals[0]) expect(t.duplicateOf?.number).to.equal(originals[0]!.number);
    // Identical bytes sent at the same time make one ticket.
    const same = fp(unique('SAME'), '2026-03-17');
    const receipts = await Promise.all([viaApi(same, 'a.xml'), viaApi(same, 'b.xml'), viaApi(same, 'c.xml')]);
    expect(new Set(receipts.map((r) => r.ticket.number)).size).to.equal(1);
  });

  it("another client's identical invoice is not a duplicate, and it does not see the first", async () => {
    const n = unique('TEN');
    const mine = await viaApi(fp(n, '2026-03-20'));
    const theirs = await viaApi(fp(n, '2026-03-20', '<!-- nord -->'), 'n.xml', nord);
    expect(theirs.ticket.duplicateOf).to.equal(null);
    expect(theirs.findings.map((f) => f.rule)).to.not.include('bpo.duplicate');
    const typedThere = await nord
      .post('/tickets')
      .send(bodies.invoice({ supplierVat: 'IT01234567897', invoiceNumber: n, issueDate: '2026-03-20' }))
      .expect(201);
    expect(typedThere.body.duplicateOf).to.deep.equal({ number: theirs.ticket.number });
    expect(typedThere.body.duplicateOf.number).to.not.equal(mine.ticket.number);
  });
});
