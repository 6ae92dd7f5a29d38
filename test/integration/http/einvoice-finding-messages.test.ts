import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { sendSmtp } from '../../support/mail-helpers.js';
import { decodeHtml } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';
import { zip } from '../../domain/einvoices/zip.js';

const DOMAIN = 'in.desk.test';

/**
 * Issue #17: the findings' amounts, dates and sizes in the reader's format on every channel (the
 * REST API, the inbound-mail internal note, the ticket page), all written by finding-message.ts.
 */
describe('e-invoices: finding messages in the reader’s format on every channel', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: ReturnType<typeof apiClient>;

  before(async () => {
    tp = await startTestPortal('einvoice-finding-messages', {
      INBOUND_SMTP_PORT: '0',
      INBOUND_MAIL_DOMAIN: DOMAIN,
      INBOUND_MAX_BYTES: '2000000',
    });
    world = await makeWorld();
    acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
  });
  after(() => tp?.stop());

  /** A FatturaPA whose total (1234.50) is not its VAT summary's and whose due date is before its date. */
  const offFile = (number: string) =>
    Buffer.from(
      fatturaPA({
        bodies: [
          { number, date: '2026-03-31', total: '1234.50', due: [{ date: '2026-01-31', amount: '122.00' }] },
        ],
      }),
    );
  const messagesOf = (body: unknown) =>
    new Map(
      einvoiceReceiptJson
        .parse(body)
        .invoices.flatMap((i) => i.findings)
        .map((f) => [f.rule, f.message]),
    );

  it("REST API: in the language asked for, else the token's user's or the client's", async () => {
    const danish = await acme
      .post('/einvoices')
      .set('Content-Type', 'application/xml')
      .set('Accept-Language', 'da')
      .send(offFile('FMT-1'))
      .expect(201);
    const da = messagesOf(danish.body);
    expect(da.get('bpo.total'))
      .to.include('1.234,50 EUR')
      .and.include('122,00 EUR')
      .and.not.include('1234.50');
    expect(da.get('bpo.due_before_issue')).to.include('31. jan. 2026').and.include('31. mar. 2026');
    // No Accept-Language: the token's user has no language of their own, the client (acme) is Italian.
    const italian = await acme
      .post('/einvoices')
      .set('Content-Type', 'application/xml')
      .send(offFile('FMT-2'))
      .expect(201);
    const it = messagesOf(italian.body);
    // Italian groups no four-digit number (as on the ticket page).
    expect(it.get('bpo.total')).to.include('1234,50 EUR').and.not.include('1234.50');
    expect(it.get('bpo.due_before_issue')).to.include('31 gen 2026').and.not.include('2026-01-31');
  });

  it('ticket page: in the reader’s language and format', async () => {
    const res = await acme
      .post('/einvoices')
      .set('Content-Type', 'application/xml')
      .set('Accept-Language', 'en')
      .send(offFile('FMT-3'))
      .expect(201);
    const number = einvoiceReceiptJson.parse(res.body).invoices[0]!.ticket.number;
    expect(messagesOf(res.body).get('bpo.total')).to.include('1,234.50 EUR');
    const dane = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'da' });
    const page = decodeHtml(
      (await (await signedInAgent(tp.url, dane.email)).get(`/tickets/${number}`).expect(200)).text,
    );
    expect(page).to.include('1.234,50 EUR').and.include('31. jan. 2026');
  });

  it("inbound mail: the internal note about a file that held no invoice, in the client's language", async () => {
    // An English-speaking sender at the Danish client: the note is for the client's staff, in Danish.
    const sender = await makeUser({ role: 'client_user', tenantId: world.nord.id, locale: 'en' });
    const subject = `Faktura ${Date.now().toString(36)}`;
    // A ZIP entry that says it unpacks to 20 MB: refused before it is read.
    const archive = zip([{ name: 'stor.xml', data: Buffer.from('<a/>'), declaredSize: 20_000_000 }]);
    const { response } = await sendSmtp(tp.portal.inboundSmtpPort as number, {
      from: sender.email,
      to: `${world.nord.code}+invoice@${DOMAIN}`,
      subject,
      text: 'Se vedhæftede.',
      attachments: [{ filename: 'fakturaer.zip', content: archive, contentType: 'application/zip' }],
    });
    expect(response).to.match(/^250 /);
    const ticket = await Ticket.findOne({ tenantId: world.nord._id, subject }).lean();
    expect(ticket, 'the ticket of the mail').to.not.equal(null);
    const note = await TimelineEntry.findOne({
      tenantId: world.nord._id,
      ticketId: ticket!._id,
      kind: 'note',
    }).lean();
    expect(note?.visibility).to.equal('internal');
    expect(note!.body).to.include('fakturaer.zip').and.include('16 MB').and.not.include('16777216');
    expect(note!.body).to.include('kunne ikke læses');
  });
});
