import { expect } from 'chai';
import { formatDate } from '../../../server/i18n/format.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { decodeHtml } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';
import { makeSigner, type Signer } from '../../domain/einvoices/openssl.js';

/** The checklist rows of a ticket page: rule and the row's text. */
const checklist = (html: string): Map<string, string> =>
  new Map(
    [...html.matchAll(/<li class="finding finding-(\w+)"[^>]*? data-rule="([^"]+)"[^>]*>([^]*?)<\/li>/g)].map(
      (m) => [m[2]!, `${m[1]}|${decodeHtml(m[3]!.replace(/<[^>]+>/g, ' '))}`],
    ),
  );

/**
 * Issue 17, Tests, "every finding type", end to end: files sent through the API whose findings
 * (the BPO checks, XSD, EN 16931 and Peppol Schematron, the signature) land in the ticket page's
 * checklist with their severity and a message in the reader's words (it and da), never a key.
 */
describe("e-invoices: each finding type in the ticket page's checklist", function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let api: ReturnType<typeof apiClient>;
  let italian: Agent;
  let danish: Agent;
  let signer: Signer;

  before(async () => {
    tp = await startTestPortal('einvoice-findings-page');
    world = await makeWorld();
    api = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    italian = await signedInAgent(tp.url, world.users.acmeUser.email);
    const dane = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'da' });
    danish = await signedInAgent(tp.url, dane.email);
    signer = makeSigner();
  });
  after(async () => {
    signer?.cleanup();
    await tp?.stop();
  });

  async function send(filename: string, bytes: Buffer) {
    const res = await api
      .post(`/einvoices?filename=${encodeURIComponent(filename)}`)
      .set('Content-Type', 'application/octet-stream')
      .send(bytes)
      .expect(201);
    return einvoiceReceiptJson.parse(res.body);
  }

  /** Each ticket's checklist in Italian and Danish; every row in words, in two different languages. */
  async function pages(numbers: string[]): Promise<Map<string, string>[]> {
    const out: Map<string, string>[] = [];
    for (const number of numbers) {
      const it = checklist((await italian.get(`/tickets/${number}`).expect(200)).text);
      const da = checklist((await danish.get(`/tickets/${number}`).expect(200)).text);
      expect([...it.keys()]).to.deep.equal([...da.keys()]);
      for (const [rule, row] of it) {
        for (const text of [row, da.get(rule)!]) {
          expect(text, rule).to.not.match(/\b(einvoices|einvoicerules|exact)\.[a-z_]+\.[a-z_]/);
        }
        expect(row, rule).to.not.equal(da.get(rule));
      }
      out.push(it);
    }
    return out;
  }

  it('the BPO checks: lines vs summary, VAT vs rate, total, due date, supplier VAT, buyer not checkable', async () => {
    const two = [
      { description: 'A', unitPrice: '33.33', total: '33.33' },
      { description: 'B', unitPrice: '33.33', total: '33.33' },
    ];
    const file = fatturaPA({
      bodies: [
        { number: 'CHK-LINES', lines: two, summary: [{ rate: '22.00', taxable: '100.00', tax: '22.00' }] },
        { number: 'CHK-TAX', summary: [{ rate: '22.00', taxable: '100.00', tax: '20.00' }], total: '120.00' },
        { number: 'CHK-TOTAL', total: '124.00' },
        { number: 'CHK-DUE', date: '2026-03-10', due: [{ date: '2026-03-09', amount: '122.00' }] },
      ],
    });
    const receipt = await send('IT01234567897_CHK.xml', Buffer.from(file));
    const [lines, tax, total, due] = await pages(receipt.invoices.map((i) => i.ticket.number));
    expect(lines!.get('bpo.lines_vs_summary')).to.match(/^error\|/);
    expect(lines!.get('bpo.lines_vs_summary')).to.include('66,66');
    expect(tax!.get('bpo.summary_tax')).to.match(/^error\|/);
    expect(total!.get('bpo.total')).to.match(/^warning\|/);
    expect(due!.get('bpo.due_before_issue')).to.match(/^error\|/);
    // Amounts and dates in the reader's format, not the file's.
    expect(tax!.get('bpo.summary_tax')).to.include('100,00 EUR');
    expect(due!.get('bpo.due_before_issue')).to.include(formatDate('2026-03-09T12:00:00Z', 'it', 'UTC'));
    expect(due!.get('bpo.due_before_issue')).to.not.include('2026-03-09');
    for (const page of [lines, tax, total, due]) expect(page!.get('bpo.buyer_unchecked')).to.match(/^info\|/);

    const badVat = fatturaPA({
      supplier: { country: 'IT', code: '01234567890', name: 'Rossi Trasporti' },
      bodies: [{ number: 'CHK-VAT' }],
    });
    const [vat] = await pages(
      (await send('bad-vat.xml', Buffer.from(badVat))).invoices.map((i) => i.ticket.number),
    );
    expect(vat!.get('bpo.supplier_vat')).to.match(/^error\|/);
  });

  it('the official rule files: XSD (FatturaPA, UBL), EN 16931 and Peppol Schematron', async () => {
    const [xsdFp] = await pages(
      (
        await send('td99.xml', Buffer.from(fatturaPA({ bodies: [{ number: 'CHK-TD99', type: 'TD99' }] })))
      ).invoices.map((i) => i.ticket.number),
    );
    expect(xsdFp!.get('xsd.fatturapa')).to.match(/^error\|/);

    const peppol = ubl({ id: 'CHK-BRCO15', taxInclusive: '1300.00', payable: '1300.00' });
    const [rules] = await pages(
      (await send('br.xml', Buffer.from(peppol))).invoices.map((i) => i.ticket.number),
    );
    expect(rules!.get('BR-CO-15')).to.match(/^error\|/);
    expect(rules!.get('bpo.total')).to.match(/^error\|/);

    const noProcess = ubl({ id: 'CHK-R001' }).replace(/<cbc:ProfileID>[^<]*<\/cbc:ProfileID>/, '');
    const [peppolRule] = await pages(
      (await send('r001.xml', Buffer.from(noProcess))).invoices.map((i) => i.ticket.number),
    );
    expect(peppolRule!.get('PEPPOL-EN16931-R001')).to.match(/^error\|/);

    // An element the UBL 2.1 schema does not allow there: the UBL XSD.
    const badUbl = ubl({ id: 'CHK-XSD' }).replace('<cbc:Note>', '<cbc:Unknown>x</cbc:Unknown><cbc:Note>');
    const [xsdUbl] = await pages(
      (await send('xsd.xml', Buffer.from(badUbl))).invoices.map((i) => i.ticket.number),
    );
    expect(xsdUbl!.get('xsd.ubl')).to.match(/^error\|/);
  });

  it('the signature: verified but not trusted (info), tampered (warning)', async () => {
    const signed = signer.sign(Buffer.from(fatturaPA({ bodies: [{ number: 'CHK-SIG' }] })));
    const [ok] = await pages((await send('sig.xml.p7m', signed)).invoices.map((i) => i.ticket.number));
    expect(ok!.get('p7m.not_trusted')).to.match(/^info\|/);
    const tampered = Buffer.from(signer.sign(Buffer.from(fatturaPA({ bodies: [{ number: 'CHK-TAMP' }] }))));
    tampered[tampered.indexOf('CHK-TAMP')] = 'X'.charCodeAt(0);
    const [bad] = await pages((await send('tamp.xml.p7m', tampered)).invoices.map((i) => i.ticket.number));
    expect(bad!.get('p7m.not_verified')).to.match(/^warning\|/);
  });
});
