import { expect } from 'chai';
import { AuditEvent } from '../../../models/audit-event.js';
import { Tenant } from '../../../models/tenant.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { t } from '../../../server/i18n/i18n.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fieldError, tableRows } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA, ubl } from '../../domain/einvoices/builders.js';

/** Issue #17, item 5: the buyer check against the client's VAT number, set on the tenant form. */
describe("e-invoices: the buyer is the client's VAT number on file", function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let admin: Agent;
  let acme: ReturnType<typeof apiClient>;
  let nord: ReturnType<typeof apiClient>;

  before(async () => {
    tp = await startTestPortal('einvoice-buyer');
    world = await makeWorld();
    admin = await signedInAgent(tp.url, world.users.admin.email);
    acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    nord = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
  });
  after(() => tp?.stop());

  async function postTenant(tenant: World['acme'], vatNumber: string) {
    const path = `/admin/tenants/${tenant.id as string}`;
    const token = csrfFrom((await admin.get(path).expect(200)).text);
    return admin.post(path).type('form').send({
      _csrf: token,
      code: tenant.code,
      legalName: tenant.legalName,
      timeZone: tenant.timeZone,
      locale: tenant.locale,
      calendarRef: '',
      contractRef: '',
      fourEyes: '',
      vatNumber,
    });
  }
  const nordBuyer = { name: 'Nordhavn Test A/S', vat: 'DK87654311', country: 'DK' };
  const send = (client: ReturnType<typeof apiClient>, xml: string) =>
    client.post('/einvoices').set('Content-Type', 'application/xml').send(Buffer.from(xml)).expect(201);
  const buyerFindings = (body: unknown) =>
    einvoiceReceiptJson
      .parse(body)
      .invoices.flatMap((i) => i.findings)
      .filter((f) => f.rule.startsWith('bpo.buyer'));

  it('refuses a VAT number that is not valid on the tenant form, keeping what was typed', async () => {
    const bad = await postTenant(world.acme, 'IT12345678900');
    expect(bad.status).to.equal(422);
    expect(fieldError(bad.text, 'vatNumber')).to.equal(t('en', 'exact.vat.it_check', { country: 'IT' }));
    expect(bad.text).to.include('value="IT12345678900"');
    const noPrefix = await postTenant(world.acme, '12345678903');
    expect(noPrefix.status).to.equal(422);
    expect(fieldError(noPrefix.text, 'vatNumber')).to.equal(t('en', 'exact.vat.prefix'));
    expect((await Tenant.findById(world.acme._id).lean())?.vatNumber).to.equal(null);
  });

  it('stores a valid one normalised, shows it (with the CVR of a Danish one) and audits the change', async () => {
    await postTenant(world.acme, 'it 123 456 789 03').then((r) => expect(r.status).to.equal(302));
    await postTenant(world.nord, 'DK 87-65-43-11').then((r) => expect(r.status).to.equal(302));
    expect((await Tenant.findById(world.acme._id).lean())?.vatNumber).to.equal('IT12345678903');
    expect((await Tenant.findById(world.nord._id).lean())?.vatNumber).to.equal('DK87654311');
    const list = await admin.get('/admin/tenants').expect(200);
    const rows = tableRows(list.text, 'tenants');
    expect(rows.find((r) => r[0] === world.acme.code)?.[5]).to.equal('IT12345678903');
    expect(rows.find((r) => r[0] === world.nord.code)?.[5]).to.equal('DK87654311 CVR 87654311');
    const form = await admin.get(`/admin/tenants/${world.acme.id as string}`).expect(200);
    expect(form.text).to.include('value="IT12345678903"');
    const audit = await AuditEvent.find({ tenantId: world.acme._id, action: 'tenant.updated' }).lean();
    expect(audit.some((a) => JSON.stringify(a.details).includes('IT12345678903'))).to.equal(true);
  });

  it('flags a FatturaPA or UBL file for another buyer, and none for the right one', async () => {
    // The default FatturaPA buyer is IT12345678903 (acme's now); the UBL files are for nord.
    const right = await send(acme, fatturaPA({ bodies: [{ number: 'BUY-1' }] }));
    expect(buyerFindings(right.body)).to.deep.equal([]);
    const rightUbl = await send(nord, ubl({ id: 'BUY-2', buyer: nordBuyer }));
    expect(buyerFindings(rightUbl.body)).to.deep.equal([]);
    const rightOio = await send(nord, ubl({ id: 'BUY-3', buyer: nordBuyer, flavour: 'oioubl' }));
    expect(buyerFindings(rightOio.body)).to.deep.equal([]);

    const wrong = await send(acme, ubl({ id: 'BUY-4', buyer: nordBuyer }));
    const [finding] = buyerFindings(wrong.body);
    expect(finding).to.deep.include({ rule: 'bpo.buyer', severity: 'error' });
    expect(finding!.message).to.include('DK87654311').and.include('IT12345678903');
    const other = await send(
      nord,
      fatturaPA({
        buyer: { country: 'IT', code: '01234567897', name: 'Rossi' },
        bodies: [{ number: 'BUY-5' }],
      }),
    );
    expect(buyerFindings(other.body).map((f) => f.rule)).to.deep.equal(['bpo.buyer']);
  });

  it('says the buyer was not checked when the client has no VAT number on file', async () => {
    await postTenant(world.acme, '').then((r) => expect(r.status).to.equal(302));
    expect((await Tenant.findById(world.acme._id).lean())?.vatNumber).to.equal(null);
    const res = await send(acme, ubl({ id: 'BUY-6', buyer: nordBuyer }));
    expect(buyerFindings(res.body).map((f) => `${f.severity}:${f.rule}`)).to.deep.equal([
      'info:bpo.buyer_unchecked',
    ]);
  });
});
