import { expect } from 'chai';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { makeWorld } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ubl, ublLines } from '../../domain/einvoices/builders.js';
import { ensureEInvoiceRules } from '../../../scripts/einvoice-rules.js';

/**
 * A 5 MB Peppol BIS 3 invoice with 10 000 lines through POST /api/v1/einvoices, end to end: read,
 * checked against the UBL 2.1 XSD and the EN 16931 + Peppol rules by the validator process,
 * stored with every line. The file is generated here. Not a timed test: the generous timeout only
 * says what "finishes" means.
 */
describe('REST API: a 5 MB e-invoice with 10 000 lines', function () {
  this.timeout(300_000);
  let tp: TestPortal;
  let token: string;

  before(async function () {
    this.timeout(600_000); // the first install downloads the rule files and builds the validator
    await ensureEInvoiceRules();
    tp = await startTestPortal('api-einvoice-large');
    const world = await makeWorld();
    token = (await tokenOf(world.users.acmeAdmin)).token;
  });
  after(() => tp?.stop());

  it('becomes one ticket with its 10 000 lines and the findings of every engine', async () => {
    const generated = ublLines(10_000, 7);
    const lines = generated.lines!.map((l, i) => ({
      ...l,
      name: `Service ${i + 1}: monthly operations support, invoice desk and archive`,
    }));
    const bytes = Buffer.from(ubl({ id: 'BIG-10000', ...generated, lines }));
    expect(bytes.byteLength).to.be.greaterThan(5_000_000);

    const res = await apiClient(tp.url, token)
      .post('/einvoices?filename=BIG-10000.xml')
      .set('Content-Type', 'application/xml')
      .send(bytes)
      .expect(201);
    const receipt = einvoiceReceiptJson.parse(res.body);
    expect(receipt.invoices).to.have.length(1);
    const [invoice] = receipt.invoices;
    expect(invoice).to.deep.include({ format: 'peppol-bis3', kind: 'invoice', created: true });
    const rules = invoice!.findings.map((f) => f.rule);
    // Checked, not given up on: no time-out, failure or unavailable validator.
    expect(
      rules.filter((r) => r.startsWith('rules.')),
      rules.join(' '),
    ).to.deep.equal([]);
    // Valid against the XSD; the builder's invoice breaks known Peppol rules (its second tax total
    // names a tax currency the invoice does not have), which the rules report.
    expect(rules).to.not.include('xsd.ubl');
    expect(rules).to.include('PEPPOL-EN16931-R054');
    // The totals agree with the 10 000 lines (the BPO check reads every line).
    expect(rules).to.not.include('bpo.total');

    const record = await EInvoiceRecord.findOne({ ticketId: invoice!.ticket.id })
      .setOptions({ allTenants: true })
      .lean();
    expect(record!.lines).to.have.length(10_000);
    expect(record!.findings.map((f) => (f as { rule: string }).rule)).to.include('PEPPOL-EN16931-R054');

    const ticket = await apiClient(tp.url, token).get(`/tickets/${invoice!.ticket.number}`).expect(200);
    expect(ticket.body.fields).to.deep.include({ invoiceNumber: 'BIG-10000', supplierVat: 'DK12345674' });
  });
});
