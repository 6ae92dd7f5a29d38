import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEvent } from '../../../models/audit-event.js';
import { Tenant } from '../../../models/tenant.js';
import { Ticket } from '../../../models/ticket.js';
import type { UserDoc } from '../../../models/user.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, tableRows, textOf, textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** Issue #18, item 4: four eyes on invoices, through the pages and the API. */
describe('four eyes on invoices (pages and API)', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let admin: Agent;
  let maker: Agent;
  let makerUser: UserDoc;
  let second: Agent;
  let secondUser: UserDoc;
  let operator: Agent;
  let api: ReturnType<typeof apiClient>;

  before(async () => {
    tp = await startTestPortal('four-eyes');
    world = await makeWorld();
    makerUser = await makeUser({
      role: 'team_lead',
      tenantIds: [world.acme.id],
      locale: 'it',
      name: 'Giulia Neri',
    });
    secondUser = await makeUser({
      role: 'team_lead',
      tenantIds: [world.acme.id],
      locale: 'da',
      name: 'Mads Holm',
    });
    const op = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'en' });
    admin = await signedInAgent(tp.url, world.users.admin.email);
    maker = await signedInAgent(tp.url, makerUser.email);
    second = await signedInAgent(tp.url, secondUser.email);
    operator = await signedInAgent(tp.url, op.email);
    api = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
  });
  after(() => tp?.stop());

  const tenantForm = (fourEyes: string) => ({
    code: world.acme.code,
    legalName: world.acme.legalName,
    timeZone: world.acme.timeZone,
    locale: world.acme.locale,
    calendarRef: '',
    contractRef: '',
    fourEyes,
  });
  async function postTenant(fourEyes: string) {
    const path = `/admin/tenants/${world.acme.id as string}`;
    const token = csrfFrom((await admin.get(path).expect(200)).text);
    return admin
      .post(path)
      .type('form')
      .send({ _csrf: token, ...tenantForm(fourEyes) });
  }
  async function postCard(agent: Agent, number: string, fields: Record<string, string>) {
    const token = csrfFrom((await agent.get(`/tickets/${number}`).expect(200)).text);
    return agent
      .post(`/tickets/${number}/fields`)
      .type('form')
      .send({ _csrf: token, priority: 'normal', tags: '', ...fields });
  }
  /** The options of the ticket card's approval box. */
  const approvalOptions = (html: string): string[] =>
    [
      ...(/<select[^>]*name="fields\.approvalOutcome"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '').matchAll(
        /<option value="([^"]*)"/g,
      ),
    ].map((m) => m[1] ?? '');

  it("lets an admin set a client's thresholds on the tenant form, checked line by line", async () => {
    const bad = await postTenant('EUR 5000.00\nEUR 10');
    expect(bad.status).to.equal(422);
    expect(fieldError(bad.text, 'fourEyes')).to.equal(
      'Line 2: EUR already has a threshold; one line per currency.',
    );
    await postTenant('EUR 5000.00\nDKK 37500').then((r) => expect(r.status).to.equal(302));
    const tenant = await Tenant.findById(world.acme._id).lean();
    expect(tenant?.fourEyes).to.deep.equal([
      { currency: 'EUR', above: '5000.00' },
      { currency: 'DKK', above: '37500' },
    ]);
    const page = await admin.get(`/admin/tenants/${world.acme.id as string}`).expect(200);
    expect(/<textarea[^>]*name="fourEyes"[^>]*>([^<]*)<\/textarea>/.exec(page.text)?.[1]).to.equal(
      'EUR 5000.00\nDKK 37500',
    );
    const audit = await AuditEvent.find({ tenantId: world.acme._id, action: 'tenant.updated' }).lean();
    expect(audit.some((a) => JSON.stringify(a.details).includes('fourEyes'))).to.equal(true);
    // Shown read-only to the client's admins (Italian client: no grouping of four digits).
    const clientAdmin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    const team = await clientAdmin.get('/team').expect(200);
    const shown = textOfElementWith(team.text, 'data-testid="four-eyes-rules"') ?? '';
    expect(shown).to.match(/Oltre 5000,00\s€/);
    expect(shown).to.match(/Oltre 37\.500,00\sDKK/);
    const nordAdmin = await signedInAgent(tp.url, world.users.nordAdmin.email);
    expect((await nordAdmin.get('/team').expect(200)).text).to.not.include('four-eyes-rules');
    // Another client is untouched.
    expect((await Tenant.findById(world.nord._id).lean())?.fourEyes).to.deep.equal([]);
  });

  describe('an invoice above the threshold', () => {
    let number: string;
    before(async () => {
      const created = await api
        .post('/tickets')
        .send(bodies.invoice({ amount: 4000, currency: 'EUR', invoiceNumber: 'FE-HTTP-1' }))
        .expect(201);
      number = created.body.number as string;
      // The maker keys the amount on the full edit page (Italian: 6.500,00).
      const edit = await maker.get(`/tickets/${number}/edit`).expect(200);
      await maker
        .post(`/tickets/${number}/fields`)
        .type('form')
        .send({
          _csrf: csrfFrom(edit.text),
          form: 'edit',
          type: 'invoice',
          subject: 'Invoice from Nordic Paper',
          priority: 'normal',
          'fields.supplierName': 'Nordic Paper A/S',
          'fields.supplierVat': 'DK12345674',
          'fields.invoiceNumber': 'FE-HTTP-1',
          'fields.issueDate': '2026-03-02',
          'fields.dueDate': '2026-04-01',
          'fields.amount': '6.500,00',
          'fields.currency': 'EUR',
        })
        .expect(302);
    });

    it('tells everyone on staff it needs a second approver and who keyed it', async () => {
      const page = await maker.get(`/tickets/${number}`).expect(200);
      const box = textOfElementWith(page.text, 'data-testid="four-eyes"') ?? '';
      expect(box).to.include('Serve un secondo approvatore');
      expect(box).to.include('Registrata da Giulia Neri');
      expect(box).to.match(/oltre 5000,00\s€/); // Italian groups no four-digit amounts
      expect(textOfElementWith(page.text, 'data-testid="four-eyes-not-yours"')).to.not.equal(null);
      // The maker is not offered the decisions.
      expect(approvalOptions(page.text)).to.deep.equal(['', 'on_hold']);
      const edit = await maker.get(`/tickets/${number}/edit`).expect(200);
      expect(approvalOptions(edit.text)).to.deep.equal(['', 'on_hold']);
      const theirs = await second.get(`/tickets/${number}`).expect(200);
      expect(textOfElementWith(theirs.text, 'data-testid="four-eyes"')).to.include(
        'Indtastet af Giulia Neri',
      );
      expect(approvalOptions(theirs.text)).to.deep.equal(['', 'approved', 'rejected', 'on_hold']);
      expect(textOfElementWith(theirs.text, 'data-testid="four-eyes-not-yours"')).to.equal(null);
      // Clients see no such box.
      const client = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const clientPage = await client.get(`/tickets/${number}`).expect(200);
      expect(clientPage.text).to.not.include('data-testid="four-eyes"');
    });

    it('refuses the maker in their language and a user without the permission', async () => {
      const refused = await postCard(maker, number, { 'fields.approvalOutcome': 'approved' });
      expect(refused.status).to.equal(422);
      expect(fieldError(refused.text, 'fields.approvalOutcome')).to.equal(
        'Hai registrato tu questa fattura: deve approvarla o respingerla una seconda persona.',
      );
      const noRight = await postCard(operator, number, { 'fields.approvalOutcome': 'rejected' });
      expect(noRight.status).to.equal(422);
      expect(fieldError(noRight.text, 'fields.approvalOutcome')).to.match(/only a team lead or an admin/);
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect((ticket?.fields as Record<string, unknown>).approvalOutcome).to.equal(undefined);
    });

    it('offers no way to decide through the API', async () => {
      const token = (await tokenOf(world.users.acmeAdmin)).token;
      const client = supertest(tp.url);
      for (const call of [client.patch.bind(client), client.put.bind(client)]) {
        const res = await call(`/api/v1/tickets/${number}`)
          .set('Authorization', `Bearer ${token}`)
          .send({ fields: { approvalOutcome: 'approved' } });
        expect(res.status).to.be.oneOf([404, 405]);
      }
      const res = await api
        .post(`/tickets/${number}/fields`)
        .send({ fields: { approvalOutcome: 'approved' } });
      expect(res.status).to.be.oneOf([404, 405]);
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect((ticket?.fields as Record<string, unknown>).approvalOutcome).to.equal(undefined);
    });

    it('lets the second person approve: one timeline entry, one audit entry', async () => {
      await postCard(second, number, {
        'fields.approvalOutcome': 'approved',
        'fields.approvalReason': 'OK',
      }).then((r) => expect(r.status).to.equal(302));
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect((ticket?.fields as Record<string, unknown>).approvalOutcome).to.equal('approved');
      const page = await admin.get(`/tickets/${number}`).expect(200);
      expect(textOf(page.text)).to.include(
        'Invoice of €6,500.00 approved by a second person (keyed by Giulia Neri)',
      );
      const audit = await AuditEvent.find({
        tenantId: world.acme._id,
        targetId: ticket?._id,
        action: 'invoice.approved',
      }).lean();
      expect(audit.map((a) => a.actorEmail)).to.deep.equal([secondUser.email]);
      const rows = tableRows((await admin.get('/admin/audit?area=invoice').expect(200)).text, 'audit');
      expect(rows.some((r) => r.includes('Invoice approved (four eyes)') && r.includes(number))).to.equal(
        true,
      );
    });
  });

  it('refuses an admin who keyed the invoice, even with a reason and the old override box', async () => {
    const created = await api
      .post('/tickets')
      .send(bodies.invoice({ amount: 6000, currency: 'EUR', invoiceNumber: 'FE-ADMIN-1' }))
      .expect(201);
    const number = created.body.number as string;
    // The admin keys a field: they are the maker now.
    await postCard(admin, number, { 'fields.supplierName': 'Nordic Paper A/S, Aarhus' }).then((r) =>
      expect(r.status).to.equal(302),
    );
    const refused = await postCard(admin, number, {
      'fields.approvalOutcome': 'approved',
      'fields.approvalReason': 'Only one person on shift',
      approvalOverride: 'on',
    });
    expect(refused.status).to.equal(422);
    expect(fieldError(refused.text, 'fields.approvalOutcome')).to.match(/You keyed this invoice/);
    expect(refused.text).to.not.include('data-testid="approval-override"');
    const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
    expect((ticket?.fields as Record<string, unknown>).approvalOutcome).to.equal(undefined);
    await postCard(second, number, { 'fields.approvalOutcome': 'approved' }).then((r) =>
      expect(r.status).to.equal(302),
    );
  });

  it("keeps another client's invoices out of this client's threshold", async () => {
    const nordApi = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
    const created = await nordApi
      .post('/tickets')
      .send(bodies.invoice({ amount: 900_000, currency: 'EUR', invoiceNumber: 'FE-NORD' }))
      .expect(201);
    const number = created.body.number as string;
    const lead = await signedInAgent(tp.url, world.users.teamLead.email);
    const page = await lead.get(`/tickets/${number}`).expect(200);
    expect(page.text).to.not.include('data-testid="four-eyes"');
    await postCard(lead, number, { 'fields.approvalOutcome': 'approved' }).then((r) =>
      expect(r.status).to.equal(302),
    );
  });
});
