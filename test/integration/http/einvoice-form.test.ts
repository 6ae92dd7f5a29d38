import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';
import { zip } from '../../domain/einvoices/zip.js';

/** Issue 17 (the client user reads Italian), the form channel: the invoice form takes e-invoice files and a ZIP, one ticket per invoice. */
describe('invoice form: e-invoice files in', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let client: Agent;

  before(async () => {
    tp = await startTestPortal('einvoice-form');
    world = await makeWorld();
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
  });
  after(() => tp.stop());

  const fp = (number: string, bodies = 1) =>
    Buffer.from(
      fatturaPA({
        bodies: Array.from({ length: bodies }, (_, i) => ({
          number: `${number}-${i + 1}`,
          due: [{ date: '2026-04-30', amount: '122.00' }],
        })),
      }),
    );

  async function upload(files: Array<{ name: string; data: Buffer }>) {
    const page = await client.get('/tickets/new/invoice').expect(200);
    expect(page.text).to.include('data-testid="einvoice-upload"');
    let req = client
      .post('/tickets/new/invoice')
      .field('_csrf', csrfFrom(page.text))
      .field('einvoiceUpload', '1');
    for (const f of files) req = req.attach('einvoices', f.data, f.name);
    return await req;
  }

  const numbersIn = (html: string): string[] =>
    [...html.matchAll(/data-testid="einvoice-ticket" href="\/tickets\/([^"]+)"/g)].map((m) => m[1]!);

  it('opens one ticket per invoice for several files and a ZIP, and lists them', async () => {
    const res = await upload([
      { name: 'IT01234567897_FRM.xml', data: fp('FRM', 2) },
      { name: 'peppol.xml', data: Buffer.from(ubl({ id: 'FRM-PEP' })) },
      { name: 'bundle.zip', data: zip([{ name: 'z.xml', data: Buffer.from(ubl({ id: 'FRM-ZIP' })) }]) },
    ]);
    expect(res.status).to.equal(201);
    const numbers = numbersIn(res.text);
    expect(numbers).to.have.length(4);
    const tickets = await Ticket.find({ tenantId: world.acme._id, number: { $in: numbers } }).lean();
    expect(tickets).to.have.length(4);
    for (const t of tickets) {
      expect(t.type).to.equal('invoice');
      expect(t.channel).to.equal('portal');
      expect(String(t.tenantId)).to.equal(String(world.acme._id));
    }
    const invoiceNumbers = tickets.map((t) => (t.fields as { invoiceNumber?: string }).invoiceNumber).sort();
    expect(invoiceNumbers).to.deep.equal(['FRM-1', 'FRM-2', 'FRM-PEP', 'FRM-ZIP']);
  });

  it('shows a clear error for a refused file and still opens the tickets of the others', async () => {
    const res = await upload([
      { name: 'not-an-invoice.xml', data: Buffer.from('<note>hello</note>') },
      { name: 'good.xml', data: Buffer.from(ubl({ id: 'FRM-GOOD' })) },
    ]);
    expect(res.status).to.equal(201);
    const text = decodeHtml(textOf(res.text));
    expect(text).to.include('not-an-invoice.xml è stato rifiutato:');
    expect(numbersIn(res.text)).to.have.length(1);
  });

  it('sending the same file again opens nothing twice', async () => {
    const bytes = Buffer.from(ubl({ id: 'FRM-AGAIN' }));
    const first = numbersIn((await upload([{ name: 'a.xml', data: bytes }])).text);
    const again = await upload([{ name: 'a.xml', data: bytes }]);
    expect(numbersIn(again.text)).to.deep.equal(first);
    expect(decodeHtml(textOf(again.text))).to.include('(già ricevuta)');
  });

  it('refuses an upload with no file, on the form, and with only refused files answers 422', async () => {
    const none = await upload([]);
    expect(none.status).to.equal(422);
    expect(decodeHtml(none.text)).to.include('Scegli almeno un file di fattura elettronica.');
    const bad = await upload([{ name: 'x.xml', data: Buffer.from('<a/>') }]);
    expect(bad.status).to.equal(422);
    expect(decodeHtml(textOf(bad.text))).to.include('x.xml è stato rifiutato:');
  });

  it('shows a credit note and the invoice it corrects on both ticket pages', async () => {
    const note = numbersIn(
      (
        await upload([
          {
            name: 'cn.xml',
            data: Buffer.from(ubl({ root: 'CreditNote', id: 'FRM-CN', corrects: 'FRM-CINV' })),
          },
        ])
      ).text,
    );
    const inv = numbersIn(
      (await upload([{ name: 'inv.xml', data: Buffer.from(ubl({ id: 'FRM-CINV' })) }])).text,
    );
    const notePage = await client.get(`/tickets/${note[0]}`).expect(200);
    expect(notePage.text).to.match(
      new RegExp(`data-testid="einvoice-corrects">[^]*?href="/tickets/${inv[0]}"`),
    );
    const invPage = await client.get(`/tickets/${inv[0]}`).expect(200);
    expect(invPage.text).to.match(
      new RegExp(`data-testid="einvoice-corrected-by">[^]*?href="/tickets/${note[0]}"`),
    );
  });
});
