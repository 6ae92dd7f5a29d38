import { expect } from 'chai';
import supertest from 'supertest';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import type { UserDoc } from '../../../models/user.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import { ticketFindingStates } from '../../../server/domain/tickets/approval-gate.js';
import { tokenOf, userCtx } from '../../support/api.js';
import { t } from '../../../server/i18n/i18n.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, textOf, textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';

/** Issue #17 item 5: the findings checklist's override forms and the approval they gate (pages, JSON). */
describe('e-invoice findings gate the approval (pages and JSON)', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let lead: Agent;
  let leadUser: UserDoc;
  let italianLead: Agent;
  let operator: Agent;
  let client: Agent;

  before(async () => {
    tp = await startTestPortal('einvoice-gate');
    world = await makeWorld();
    leadUser = await makeUser({
      role: 'team_lead',
      tenantIds: [world.acme.id],
      locale: 'en',
      name: 'Lena Lead',
    });
    const it = await makeUser({
      role: 'team_lead',
      tenantIds: [world.acme.id],
      locale: 'it',
      name: 'Ida Capo',
    });
    const op = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'en' });
    lead = await signedInAgent(tp.url, leadUser.email);
    italianLead = await signedInAgent(tp.url, it.email);
    operator = await signedInAgent(tp.url, op.email);
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
  });
  after(() => tp?.stop());

  let n = 0;
  /** An Acme e-invoice ticket whose file has a wrong VAT (an error) and a wrong total (a warning). */
  async function einvoice() {
    n++;
    const xml = fatturaPA({
      bodies: [
        {
          number: `HTTP-GATE-${n}`,
          summary: [{ rate: '22.00', taxable: '100.00', tax: '30.00' }],
          total: '999.00',
        },
      ],
    });
    const receipt = await receiveEInvoice(
      userCtx(world.users.acmeUser),
      { filename: `gate-${n}.xml` },
      Buffer.from(xml),
    );
    const ticket = await Ticket.findOne({
      _id: receipt.invoices[0]!.ticket.id,
      tenantId: world.acme._id,
    }).lean();
    const states = (await ticketFindingStates(userCtx(world.users.admin), ticket!))!;
    const error = states.find((s) => s.severity === 'error' && s.rule === 'bpo.summary_tax')!;
    return { number: ticket!.number, errorId: error.id };
  }
  async function post(agent: Agent, number: string, path: string, form: Record<string, string>) {
    const token = csrfFrom((await agent.get(`/tickets/${number}`).expect(200)).text);
    return agent
      .post(`/tickets/${number}${path}`)
      .type('form')
      .send({ _csrf: token, ...form });
  }
  async function postJson(agent: Agent, number: string, body: Record<string, string>) {
    const token = csrfFrom((await agent.get(`/tickets/${number}`).expect(200)).text);
    return agent
      .post(`/tickets/${number}/finding-overrides`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', token)
      .send(body);
  }
  const card = (fields: Record<string, string>) => ({ priority: 'normal', tags: 'e-invoice', ...fields });
  const outcome = async (number: string) =>
    ((await Ticket.findOne({ tenantId: world.acme._id, number }).lean())?.fields as Record<string, unknown>)
      .approvalOutcome;

  it('blocks the approval on the page until the error is overridden through its form, then takes it with the warnings accepted', async () => {
    const { number, errorId } = await einvoice();
    const page = (await lead.get(`/tickets/${number}`).expect(200)).text;
    // The approval control says why it is blocked; the error has its override form, the warning none.
    expect(textOfElementWith(page, 'data-testid="approval-blocked"')).to.contain(
      'Approval blocked: 1 error in the file is not resolved.',
    );
    expect(page).to.contain(`name="finding" value="${errorId}"`);
    expect(page.match(/data-testid="finding-override-form"/g)).to.have.length(1);
    expect(page).to.contain('data-testid="accept-warnings"');

    const refused = await post(
      lead,
      number,
      '/fields',
      card({ 'fields.approvalOutcome': 'approved', acceptWarnings: 'on' }),
    );
    expect(refused.status).to.equal(422);
    expect(fieldError(refused.text, 'fields.approvalOutcome')).to.contain(
      'This invoice cannot be approved: 1 error in its file is not resolved (bpo.summary_tax).',
    );
    expect(await outcome(number)).to.equal(undefined);

    // An empty reason: the page again, the message under that error's box.
    const empty = await post(lead, number, '/finding-overrides', { finding: errorId, reason: '  ' });
    expect(empty.status).to.equal(422);
    expect(fieldError(empty.text, `reason-${errorId}`)).to.equal(
      'Write why this error does not stand in the way of the approval.',
    );
    const done = await post(lead, number, '/finding-overrides', {
      finding: errorId,
      reason: 'Tax agreed by phone',
    });
    expect(done.status).to.equal(302);
    expect(done.headers.location).to.equal(`/tickets/${number}#finding-${errorId}`);
    const after = (await lead.get(`/tickets/${number}`).expect(200)).text;
    expect(textOfElementWith(after, 'data-testid="finding-override"')).to.match(
      /^Overridden by Lena Lead, .+: Tax agreed by phone$/,
    );
    expect(after).to.not.contain('data-testid="finding-override-form"');
    expect(after).to.not.contain('data-testid="approval-blocked"');
    expect(textOf(after)).to.contain('Error bpo.summary_tax overridden.');

    // The warnings: accepted explicitly, or the approval is refused under the box.
    const unaccepted = await post(lead, number, '/fields', card({ 'fields.approvalOutcome': 'approved' }));
    expect(unaccepted.status).to.equal(422);
    expect(fieldError(unaccepted.text, 'acceptWarnings')).to.match(/^The file has \d+ warnings?: tick/);
    const approved = await post(
      lead,
      number,
      '/fields',
      card({ 'fields.approvalOutcome': 'approved', acceptWarnings: 'on' }),
    );
    expect(approved.status).to.equal(302);
    expect(await outcome(number)).to.equal('approved');
    const shown = (await lead.get(`/tickets/${number}`).expect(200)).text;
    expect(textOfElementWith(shown, 'data-testid="warnings-accepted"')).to.match(
      /^Warnings accepted by Lena Lead, /,
    );
    expect(textOf(shown)).to.match(/Approved accepting \d+ warnings? of the file/);
  });

  it('gates the approval on the full edit page the same way', async () => {
    const { number, errorId } = await einvoice();
    const edit = (await lead.get(`/tickets/${number}/edit`).expect(200)).text;
    expect(textOfElementWith(edit, 'data-testid="approval-blocked"')).to.contain('Approval blocked');
    expect(edit).to.contain('data-testid="accept-warnings"');
    const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
    const f = ticket!.fields as Record<string, string | number>;
    const form = {
      form: 'edit',
      type: 'invoice',
      subject: ticket!.subject,
      description: '',
      priority: 'normal',
      tags: 'e-invoice',
      'fields.supplierName': String(f.supplierName),
      'fields.supplierVat': String(f.supplierVat),
      'fields.invoiceNumber': String(f.invoiceNumber),
      'fields.issueDate': String(f.issueDate),
      'fields.dueDate': String(f.dueDate),
      'fields.amount': String(f.amount),
      'fields.currency': String(f.currency),
      'fields.approvalOutcome': 'approved',
      acceptWarnings: 'on',
    };
    const token = csrfFrom(edit);
    const refused = await lead
      .post(`/tickets/${number}/fields`)
      .type('form')
      .send({ _csrf: token, ...form });
    expect(refused.status).to.equal(422);
    expect(fieldError(refused.text, 'fields.approvalOutcome')).to.contain('cannot be approved');
    await post(lead, number, '/finding-overrides', { finding: errorId, reason: 'Agreed' });
    const approved = await lead
      .post(`/tickets/${number}/fields`)
      .type('form')
      .send({ _csrf: token, ...form });
    expect(approved.status).to.equal(302);
    expect(await outcome(number)).to.equal('approved');
  });

  it('answers JSON callers with the override or the refusal, in their language; two at once give one', async () => {
    const { number, errorId } = await einvoice();
    const empty = await postJson(italianLead, number, { finding: errorId, reason: '' });
    expect(empty.status).to.equal(422);
    expect(empty.body.error.code).to.equal('validation');
    expect(empty.body.error.fields).to.deep.equal([
      { path: 'reason', message: "Scrivi perché questo errore non impedisce l'approvazione." },
    ]);
    const missing = await postJson(lead, number, { finding: 'ffffffffffffffff', reason: 'x' });
    expect(missing.status).to.equal(404);

    const [a, b] = await Promise.all([
      postJson(lead, number, { finding: errorId, reason: 'First' }),
      postJson(italianLead, number, { finding: errorId, reason: 'Seconda' }),
    ]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
    const won = a.status === 200 ? a : b;
    const lost = a.status === 200 ? b : a;
    expect(won.body.finding).to.deep.include({ id: errorId, rule: 'bpo.summary_tax' });
    expect(won.body.finding.override.reason).to.be.oneOf(['First', 'Seconda']);
    expect(lost.body.error.code).to.equal('conflict');
    expect(lost.body.error.message).to.match(/already overridden|già stato forzato/);
    const row = await EInvoiceRecord.findOne({ tenantId: world.acme._id, number: `HTTP-GATE-${n}` }).lean();
    expect(Object.keys(row?.overrides as object)).to.deep.equal([errorId]);

    // The approval refused on the page: a 422, the message in the reader's language.
    const refusedItalian = await einvoice();
    const r = await post(
      italianLead,
      refusedItalian.number,
      '/fields',
      card({ 'fields.approvalOutcome': 'approved' }),
    );
    expect(r.status).to.equal(422);
    expect(fieldError(r.text, 'fields.approvalOutcome')).to.contain('non può essere approvata');
  });

  it('lets no operator or client override, shows clients no override, and offers nothing in the client API', async () => {
    const { number, errorId } = await einvoice();
    expect((await postJson(operator, number, { finding: errorId, reason: 'x' })).status).to.equal(403);
    const clientPage = (await client.get(`/tickets/${number}`).expect(200)).text;
    expect(clientPage).to.not.contain('finding-override-form');
    const token = csrfFrom(clientPage);
    const res = await client
      .post(`/tickets/${number}/finding-overrides`)
      .type('form')
      .send({ _csrf: token, finding: errorId, reason: 'x' });
    expect(res.status).to.equal(403);
    const operatorPage = (await operator.get(`/tickets/${number}`).expect(200)).text;
    expect(operatorPage).to.not.contain('finding-override-form');
    expect(textOfElementWith(operatorPage, 'data-testid="approval-blocked"')).to.contain('Approval blocked');

    await post(lead, number, '/finding-overrides', { finding: errorId, reason: 'Internal reason' }).then(
      (r) => expect(r.status).to.equal(302),
    );
    expect((await client.get(`/tickets/${number}`).expect(200)).text).to.not.contain('Internal reason');

    const apiToken = (await tokenOf(world.users.acmeAdmin)).token;
    const api = await supertest(tp.url)
      .post(`/api/v1/tickets/${number}/finding-overrides`)
      .set('Authorization', `Bearer ${apiToken}`)
      .send({ finding: errorId, reason: 'x' });
    expect(api.status).to.be.oneOf([404, 405]);
  });

  it("shows the e-invoice tag in the reader's language (the stored code stays 'e-invoice')", async () => {
    const { number } = await einvoice();
    const tags = (html: string) => [...html.matchAll(/<span class="tag">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(tags((await italianLead.get(`/tickets/${number}`).expect(200)).text)).to.deep.equal([
      t('it', 'tickets.system_tags.e-invoice'),
    ]);
    expect(tags((await lead.get(`/tickets/${number}`).expect(200)).text)).to.deep.equal(['E-invoice']);
    expect((await Ticket.findOne({ tenantId: world.acme._id, number }).lean())?.tags).to.deep.equal([
      'e-invoice',
    ]);
  });
});
