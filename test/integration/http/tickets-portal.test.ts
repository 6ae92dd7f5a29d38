import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Ticket } from '../../../models/ticket.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const pdf = Buffer.concat([
  Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj <<>> endobj\n'),
  Buffer.alloc(2048, 7),
  Buffer.from('\n%%EOF\n'),
]);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function tokenOn(agent: Agent, path: string): Promise<string> {
  return csrfFrom((await agent.get(path).expect(200)).text);
}

const invoiceFields = {
  subject: 'Fattura Rossi Trasporti 2026/118',
  description: 'Da registrare entro fine mese',
  priority: 'high',
  'fields.supplierName': 'Rossi Trasporti S.r.l.',
  'fields.supplierVat': 'IT 0123 4567 897',
  'fields.invoiceNumber': '2026/118',
  'fields.issueDate': '2026-11-02',
  'fields.dueDate': '2026-12-02',
  'fields.amount': '1.250,40',
  'fields.currency': 'eur',
};

describe('tickets in the portal', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let client: Agent;
  let operator: Agent;

  before(async () => {
    tp = await startTestPortal('tickets-portal');
    world = await makeWorld();
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
    operator = await signedInAgent(tp.url, world.users.operatorBoth.email);
  });
  after(() => tp.stop());

  async function postInvoice(agent: Agent, fields: Record<string, string>, file?: Buffer) {
    const token = await tokenOn(agent, '/tickets/new/invoice');
    let req = agent.post('/tickets/new/invoice').field('_csrf', token);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    if (file) req = req.attach('attachments', file, 'fattura.pdf');
    return await req;
  }

  it('opens an invoice ticket with its file, and flags a duplicate', async () => {
    const res = await postInvoice(client, invoiceFields, pdf);
    expect(res.status).to.equal(302);
    const number = res.headers.location?.split('/').pop() ?? '';
    expect(number).to.match(new RegExp(`^${world.acme.code.toUpperCase()}-000001$`));
    const page = await client.get(`/tickets/${number}`).expect(200);
    expect(page.text)
      .to.include('Rossi Trasporti S.r.l.')
      .and.include('IT01234567897')
      .and.include('fattura.pdf');
    const link = /href="\/attachments\/([0-9a-f]{24})"/.exec(page.text)?.[1];
    const download = await client
      .get(`/attachments/${link}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(download.status).to.equal(200);
    expect(download.headers['content-disposition']).to.match(/^attachment; filename="fattura\.pdf"/);
    expect(download.headers['x-content-type-options']).to.equal('nosniff');
    expect(sha(download.body as Buffer)).to.equal(sha(pdf));

    const again = await postInvoice(client, { ...invoiceFields, 'fields.supplierVat': 'it01234567897' });
    expect(again.status).to.equal(302);
    const second = again.headers.location?.split('/').pop() ?? '';
    const secondPage = await client.get(`/tickets/${second}`).expect(200);
    expect(secondPage.text).to.include('flash-warn').and.include(number);
  });

  it('re-renders the form with field errors and keeps what was typed', async () => {
    const res = await postInvoice(client, {
      ...invoiceFields,
      'fields.supplierVat': '??',
      'fields.dueDate': '2026-01-01',
      'fields.currency': 'euro',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Rossi Trasporti S.r.l.').and.include('aria-invalid="true"');
    expect(res.text)
      .to.include('e-fields.supplierVat')
      .and.include('e-fields.dueDate')
      .and.include('e-fields.currency');
    expect(await Ticket.countDocuments({ tenantId: world.acme._id })).to.equal(2);
  });

  it('refuses a file whose content is not an allowed type, whatever its name', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(512, 1)]);
    const res = await postInvoice(client, { ...invoiceFields, 'fields.invoiceNumber': 'X-1' }, exe);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('sono accettati solo file PDF');
    expect(await Ticket.countDocuments({ tenantId: world.acme._id, 'fields.invoiceNumber': 'X-1' })).to.equal(
      0,
    );
  });

  it('lets an operator reply, note and change status; the client sees only the public part', async () => {
    const ticket = await Ticket.findOne({ tenantId: world.acme._id }).sort({ seq: 1 }).lean();
    const number = ticket?.number ?? '';
    const list = await operator.get(`/tickets?q=${encodeURIComponent('rossi trasporti')}`).expect(200);
    expect(list.text).to.include(number);
    let token = await tokenOn(operator, `/tickets/${number}`);
    await operator
      .post(`/tickets/${number}/replies`)
      .field('_csrf', token)
      .field('body', 'Internal: check the PO first')
      .field('internal', 'true')
      .expect(302);
    token = await tokenOn(operator, `/tickets/${number}`);
    await operator
      .post(`/tickets/${number}/replies`)
      .field('_csrf', token)
      .field('body', 'We are registering it today.')
      .expect(302);
    token = await tokenOn(operator, `/tickets/${number}`);
    await operator
      .post(`/tickets/${number}/status`)
      .type('form')
      .send({ _csrf: token, status: 'resolved' })
      .expect(302);

    const after = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
    expect(after?.status).to.equal('resolved');
    expect(after?.firstResponseAt).to.be.instanceOf(Date);
    const seen = await client.get(`/tickets/${number}`).expect(200);
    expect(seen.text).to.include('We are registering it today.');
    expect(seen.text).to.not.include('Internal: check the PO first');
    expect(seen.text).to.include('data-testid="move-open"');

    const mail = await tp.smtp.waitFor(
      (m) => (m.subject ?? '').includes(number) && (m.subject ?? '').includes('Risolto'),
    );
    expect(mail.text).to.include(`/tickets/${number}`);
  });

  it("hides another tenant's ticket behind a 404", async () => {
    const ticket = await Ticket.findOne({ tenantId: world.acme._id }).lean();
    const nordUser = await signedInAgent(tp.url, world.users.nordUser.email);
    await nordUser.get(`/tickets/${ticket?.number}`).expect(404);
    await nordUser.get(`/tickets/${String(ticket?._id)}`).expect(404);
    const acmeOnly = await signedInAgent(tp.url, world.users.operatorAcme.email);
    await acmeOnly.get(`/tickets/${ticket?.number}`).expect(200);
  });
});
