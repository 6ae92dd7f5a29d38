import { expect } from 'chai';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, inputValue, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** Issue #14, items 1-3: numbers never made up, VAT and currency checked, staff correct everything. */

const invoiceForm = (over: Record<string, string> = {}) => ({
  subject: 'Fattura Rossi Trasporti',
  priority: 'normal',
  'fields.supplierName': 'Rossi Trasporti S.r.l.',
  'fields.supplierVat': 'IT 0123 4567 897',
  'fields.invoiceNumber': 'F-1',
  'fields.issueDate': '2026-11-02',
  'fields.dueDate': '2026-12-02',
  'fields.amount': '1.250,40',
  'fields.currency': 'EUR',
  ...over,
});

const dataEntryForm = (over: Record<string, string> = {}) => ({
  subject: 'Bolle settimana 13',
  priority: 'normal',
  'fields.batchDescription': 'Bolle della settimana 13',
  'fields.targetSystem': 'SAP MM',
  'fields.expectedRecordCount': '1.200',
  ...over,
});

/** The text inside the select named `name`, and its selected option's value. */
function selectOf(html: string, name: string): { html: string; selected: string | null } {
  const block =
    new RegExp(`<select[^>]*name="${name.replace('.', '\\.')}"[\\s\\S]*?</select>`).exec(html)?.[0] ?? '';
  return { html: block, selected: /<option value="([^"]*)" selected/.exec(block)?.[1] ?? null };
}

describe('exact data: numbers, VAT numbers, currencies and staff corrections', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let italian: Agent;
  let english: Agent;
  let danish: Agent;
  let operator: Agent;

  before(async () => {
    tp = await startTestPortal('exact-data');
    world = await makeWorld();
    const en = await makeUser({ role: 'client_user', tenantId: world.acme.id, locale: 'en' });
    const op = await makeUser({ role: 'operator', tenantIds: [world.acme.id, world.nord.id], locale: 'it' });
    italian = await signedInAgent(tp.url, world.users.acmeUser.email);
    english = await signedInAgent(tp.url, en.email);
    danish = await signedInAgent(tp.url, world.users.nordUser.email);
    operator = await signedInAgent(tp.url, op.email);
  });
  after(() => tp?.stop());

  async function postNew(agent: Agent, type: string, fields: Record<string, string>) {
    const token = csrfFrom((await agent.get(`/tickets/new/${type}`).expect(200)).text);
    let req = agent.post(`/tickets/new/${type}`).field('_csrf', token);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return await req;
  }
  const numberOf = (location: string | undefined): string => location?.split('/').pop() ?? '';

  describe('the API takes JSON numbers only', () => {
    let api: ReturnType<typeof apiClient>;
    before(async () => {
      api = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    });

    for (const bad of [null, '', '  ', true, [7], '0x10', '12', { value: 7 }]) {
      it(`refuses ${JSON.stringify(bad)} as a number with 422 naming the field, storing nothing`, async () => {
        const before = await Ticket.countDocuments({ tenantId: world.acme._id });
        const amount = await api
          .post('/tickets')
          .send(bodies.invoice({ amount: bad, invoiceNumber: `BAD-${String(bad)}` }))
          .expect(422);
        expect((amount.body.error.fields as Array<{ path: string }>).map((f) => f.path)).to.deep.equal([
          'fields.amount',
        ]);
        for (const name of ['expectedRecordCount', 'recordsCompleted', 'errorCount']) {
          const body = bodies.dataEntry();
          const res = await api
            .post('/tickets')
            .send({ ...body, fields: { ...body.fields, [name]: bad } })
            .expect(422);
          expect(
            (res.body.error.fields as Array<{ path: string }>).map((f) => f.path),
            name,
          ).to.deep.equal([`fields.${name}`]);
        }
        expect(await Ticket.countDocuments({ tenantId: world.acme._id })).to.equal(before);
      });
    }

    it('stores a JSON number as sent', async () => {
      const body = bodies.dataEntry();
      const res = await api
        .post('/tickets')
        .send({ ...body, fields: { ...body.fields, expectedRecordCount: 16, recordsCompleted: 0 } })
        .expect(201);
      expect(res.body.fields).to.include({ expectedRecordCount: 16, recordsCompleted: 0, errorCount: 0 });
    });

    it('checks VAT numbers per country and says what is wrong', async () => {
      const it123 = await api
        .post('/tickets')
        .set('Accept-Language', 'en')
        .send(bodies.invoice({ supplierVat: 'IT123' }))
        .expect(422);
      const field = (it123.body.error.fields as Array<{ path: string; message: string }>).find(
        (f) => f.path === 'fields.supplierVat',
      );
      expect(field?.message).to.match(/11 (digits|cifre|cifre)/);
      const check = await api
        .post('/tickets')
        .send(bodies.invoice({ supplierVat: 'IT01234567890' }))
        .expect(422);
      expect((check.body.error.fields as Array<{ path: string }>).map((f) => f.path)).to.deep.equal([
        'fields.supplierVat',
      ]);
      await api
        .post('/tickets')
        .send(bodies.invoice({ supplierVat: 'DK12345678' }))
        .expect(422);
      await api
        .post('/tickets')
        .send(bodies.invoice({ supplierVat: '12345674' }))
        .expect(422);
      const ok = await api
        .post('/tickets')
        .send(bodies.invoice({ supplierVat: 'de 123.456.789', invoiceNumber: 'VAT-DE' }))
        .expect(201);
      expect(ok.body.fields.supplierVat).to.equal('DE123456789');
    });

    it('takes ISO 4217 currencies only, and says so in the OpenAPI document', async () => {
      for (const bad of ['EURO', 'ABC', 'XXX', 978]) {
        const res = await api
          .post('/tickets')
          .send(bodies.invoice({ currency: bad }))
          .expect(422);
        expect(
          (res.body.error.fields as Array<{ path: string }>).map((f) => f.path),
          String(bad),
        ).to.deep.equal(['fields.currency']);
      }
      const doc = (await api.get('/openapi.json').expect(200)).body as {
        components: { schemas: { TicketInput: { oneOf?: unknown[]; anyOf?: unknown[] } } };
      };
      const variants = (doc.components.schemas.TicketInput.oneOf ??
        doc.components.schemas.TicketInput.anyOf ??
        []) as Array<{
        properties: {
          type: { const?: string };
          fields: { properties: Record<string, { type?: string; enum?: string[] }> };
        };
      }>;
      const invoice = variants.find((v) => v.properties.type.const === 'invoice');
      const currency = invoice?.properties.fields.properties.currency;
      expect(currency?.enum).to.include.members(['EUR', 'DKK', 'USD', 'GBP']);
      expect(currency?.enum).to.not.include('XXX');
      expect(invoice?.properties.fields.properties.amount?.type).to.equal('number');
      const dataEntry = variants.find((v) => v.properties.type.const === 'data_entry');
      expect(dataEntry?.properties.fields.properties.expectedRecordCount?.type).to.equal('integer');
    });
  });

  describe("forms read and show numbers in the reader's locale", () => {
    it('Italian: 1.250,40 is 1250.40 and is shown back as such', async () => {
      const res = await postNew(italian, 'invoice', invoiceForm({ 'fields.invoiceNumber': 'IT-LOC' }));
      expect(res.status).to.equal(302);
      const ticket = await Ticket.findOne({
        tenantId: world.acme._id,
        number: numberOf(res.headers.location),
      }).lean();
      expect((ticket?.fields as { amount: number }).amount).to.equal(1250.4);
      const page = await italian.get(`/tickets/${ticket?.number}`).expect(200);
      expect(textOf(page.text)).to.include('1250,40 €');
    });

    it('English: 1,250.40 (and 1250.40) is 1250.40', async () => {
      for (const [amount, invoiceNumber] of [
        ['1,250.40', 'EN-1'],
        ['1250.40', 'EN-2'],
      ]) {
        const res = await postNew(
          english,
          'invoice',
          invoiceForm({ 'fields.amount': amount as string, 'fields.invoiceNumber': invoiceNumber as string }),
        );
        expect(res.status, amount).to.equal(302);
        const ticket = await Ticket.findOne({
          tenantId: world.acme._id,
          number: numberOf(res.headers.location),
        }).lean();
        expect((ticket?.fields as { amount: number }).amount).to.equal(1250.4);
      }
    });

    it('Danish: a count of 1.200 is 1200, shown back as 1.200', async () => {
      const res = await postNew(danish, 'data_entry', dataEntryForm());
      expect(res.status).to.equal(302);
      const ticket = await Ticket.findOne({
        tenantId: world.nord._id,
        number: numberOf(res.headers.location),
      }).lean();
      expect((ticket?.fields as { expectedRecordCount: number }).expectedRecordCount).to.equal(1200);
      const page = await danish.get(`/tickets/${ticket?.number}`).expect(200);
      expect(textOf(page.text)).to.include('1.200');
    });

    it('refuses garbage with a field error and keeps what was typed', async () => {
      const before = await Ticket.countDocuments({ tenantId: { $in: [world.acme._id, world.nord._id] } });
      for (const [agent, amount] of [
        [italian, '1,250.40'],
        [english, '1.250,40'],
        [italian, '0x10'],
        [english, '12 euro'],
        [italian, '   '],
      ] as Array<[Agent, string]>) {
        const res = await postNew(agent, 'invoice', invoiceForm({ 'fields.amount': amount }));
        expect(res.status, amount).to.equal(422);
        expect(fieldError(res.text, 'fields.amount'), amount).to.be.a('string').and.not.equal('');
        expect(inputValue(res.text, 'fields.amount'), amount).to.equal(amount);
        expect(inputValue(res.text, 'fields.supplierName')).to.equal('Rossi Trasporti S.r.l.');
      }
      const count = await postNew(
        danish,
        'data_entry',
        dataEntryForm({ 'fields.expectedRecordCount': '12,5' }),
      );
      expect(count.status).to.equal(422);
      expect(inputValue(count.text, 'fields.expectedRecordCount')).to.equal('12,5');
      expect(fieldError(count.text, 'fields.expectedRecordCount')).to.equal('Angiv et helt tal.');
      expect(await Ticket.countDocuments({ tenantId: { $in: [world.acme._id, world.nord._id] } })).to.equal(
        before,
      );
    });

    it("offers number fields as text in the reader's format, with an example", async () => {
      const it = await italian.get('/tickets/new/invoice').expect(200);
      expect(it.text).to.match(
        /<input id="f-fields\.amount" name="fields\.amount" type="text"[^>]*inputmode="decimal"/,
      );
      expect(textOf(it.text)).to.include('12.500,50');
      const en = await english.get('/tickets/new/invoice').expect(200);
      expect(textOf(en.text)).to.include('12,500.50');
    });
  });

  describe('VAT numbers and currencies in the forms', () => {
    it("refuses IT123 saying what is wrong, in the reader's language", async () => {
      const itRes = await postNew(italian, 'invoice', invoiceForm({ 'fields.supplierVat': 'IT123' }));
      expect(itRes.status).to.equal(422);
      expect(fieldError(itRes.text, 'fields.supplierVat')).to.equal(
        'Le partite IVA italiane hanno 11 cifre dopo IT.',
      );
      expect(inputValue(itRes.text, 'fields.supplierVat')).to.equal('IT123');
      const enRes = await postNew(english, 'invoice', invoiceForm({ 'fields.supplierVat': 'IT01234567890' }));
      expect(fieldError(enRes.text, 'fields.supplierVat')).to.match(/check digit/);
      const daRes = await postNew(danish, 'invoice', invoiceForm({ 'fields.supplierVat': 'DK 1234 5678' }));
      expect(fieldError(daRes.text, 'fields.supplierVat')).to.match(/CVR/);
    });

    it('chooses the currency from a select of ISO 4217 codes and keeps the choice on a refusal', async () => {
      const page = await italian.get('/tickets/new/invoice').expect(200);
      const select = selectOf(page.text, 'fields.currency');
      expect(select.html)
        .to.include('<option value="EUR"')
        .and.include('<option value="DKK"')
        .and.include('<option value="JPY"');
      expect(select.html).to.not.include('value="XXX"');
      const refused = await postNew(
        italian,
        'invoice',
        invoiceForm({ 'fields.currency': 'DKK', 'fields.supplierVat': 'IT123' }),
      );
      expect(selectOf(refused.text, 'fields.currency').selected).to.equal('DKK');
      const bad = await postNew(italian, 'invoice', invoiceForm({ 'fields.currency': 'EURO' }));
      expect(bad.status).to.equal(422);
      expect(fieldError(bad.text, 'fields.currency')).to.be.a('string').and.not.equal('');
    });
  });

  describe('staff correct every field and the type', () => {
    let number = '';
    before(async () => {
      const res = await postNew(italian, 'invoice', invoiceForm({ 'fields.invoiceNumber': 'EDIT-1' }));
      expect(res.status).to.equal(302);
      number = numberOf(res.headers.location);
    });

    const editToken = async (path: string): Promise<string> =>
      csrfFrom((await operator.get(path).expect(200)).text);

    it("shows every field of the type on the edit page, numbers in the reader's format", async () => {
      const page = await operator.get(`/tickets/${number}/edit`).expect(200);
      expect(inputValue(page.text, 'fields.amount')).to.equal('1250,4');
      expect(inputValue(page.text, 'fields.supplierVat')).to.equal('IT01234567897');
      expect(inputValue(page.text, 'fields.invoiceNumber')).to.equal('EDIT-1');
      expect(inputValue(page.text, 'subject')).to.equal('Fattura Rossi Trasporti');
      expect(selectOf(page.text, 'fields.currency').selected).to.equal('EUR');
      expect(page.text).to.include('name="fields.approvalOutcome"');
      const show = await operator.get(`/tickets/${number}`).expect(200);
      expect(show.text).to.include(`href="/tickets/${number}/edit"`);
    });

    it('validates a correction as at creation: field errors, typed text kept, nothing changed', async () => {
      const token = await editToken(`/tickets/${number}/edit`);
      const res = await operator
        .post(`/tickets/${number}/fields`)
        .type('form')
        .send({
          _csrf: token,
          form: 'edit',
          type: 'invoice',
          ...invoiceForm({
            'fields.invoiceNumber': 'EDIT-1',
            'fields.supplierVat': 'IT123',
            'fields.amount': '2.000,5x',
          }),
        });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'fields.supplierVat')).to.equal(
        'Le partite IVA italiane hanno 11 cifre dopo IT.',
      );
      expect(fieldError(res.text, 'fields.amount')).to.equal('Inserire un numero.');
      expect(inputValue(res.text, 'fields.amount')).to.equal('2.000,5x');
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect((ticket?.fields as { amount: number }).amount).to.equal(1250.4);
    });

    it('stores a correction of the type fields and records each change in the timeline', async () => {
      const token = await editToken(`/tickets/${number}/edit`);
      await operator
        .post(`/tickets/${number}/fields`)
        .type('form')
        .send({
          _csrf: token,
          form: 'edit',
          type: 'invoice',
          ...invoiceForm({
            'fields.invoiceNumber': 'EDIT-2',
            'fields.supplierVat': 'dk 1234 5674',
            'fields.amount': '2.000,50',
            'fields.currency': 'DKK',
            'fields.poNumber': 'PO-1',
          }),
        })
        .expect(302);
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect(ticket?.fields).to.include({
        supplierVat: 'DK12345674',
        invoiceNumber: 'EDIT-2',
        amount: 2000.5,
        currency: 'DKK',
        poNumber: 'PO-1',
      });
      const entry = await TimelineEntry.findOne({
        tenantId: world.acme._id,
        ticketId: ticket?._id,
        kind: 'fields',
      })
        .sort({ at: -1 })
        .lean();
      const changes = (entry?.data as { changes: Array<{ field: string; from: unknown; to: unknown }> })
        .changes;
      expect(changes).to.deep.include.members([
        { field: 'fields.amount', from: 1250.4, to: 2000.5 },
        { field: 'fields.supplierVat', from: 'IT01234567897', to: 'DK12345674' },
        { field: 'fields.currency', from: 'EUR', to: 'DKK' },
        { field: 'fields.invoiceNumber', from: 'EDIT-1', to: 'EDIT-2' },
        { field: 'fields.poNumber', from: null, to: 'PO-1' },
      ]);
      // The corrected invoice holds the new key; the old one is free again.
      expect(await InvoiceKey.countDocuments({ tenantId: world.acme._id, ticketId: ticket?._id })).to.equal(
        1,
      );
      expect(
        await InvoiceKey.countDocuments({ tenantId: world.acme._id, key: /\|01234567897\|edit-1$/ }),
      ).to.equal(0);
    });

    it("keeps the typed text of the ticket page's card on a refusal", async () => {
      const dataEntry = await postNew(italian, 'data_entry', dataEntryForm());
      const ref = numberOf(dataEntry.headers.location);
      const token = await editToken(`/tickets/${ref}`);
      const bad = await operator
        .post(`/tickets/${ref}/fields`)
        .type('form')
        .send({ _csrf: token, priority: 'normal', 'fields.recordsCompleted': 'tanti' });
      expect(bad.status).to.equal(422);
      expect(inputValue(bad.text, 'fields.recordsCompleted')).to.equal('tanti');
      expect(fieldError(bad.text, 'fields.recordsCompleted')).to.equal('Inserire un numero.');
      await operator
        .post(`/tickets/${ref}/fields`)
        .type('form')
        .send({ _csrf: token, priority: 'normal', 'fields.recordsCompleted': '1.100' })
        .expect(302);
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number: ref }).lean();
      expect((ticket?.fields as { recordsCompleted: number }).recordsCompleted).to.equal(1100);
      const page = await operator.get(`/tickets/${ref}`).expect(200);
      expect(inputValue(page.text, 'fields.recordsCompleted')).to.equal('1100');
    });

    it("changes the type: the new type's fields are asked for, required and validated; the timeline says so", async () => {
      const page = await operator.get(`/tickets/${number}/edit?type=data_entry`).expect(200);
      expect(page.text)
        .to.include('name="fields.batchDescription"')
        .and.include('name="fields.expectedRecordCount"');
      expect(page.text).to.not.include('name="fields.supplierVat"');
      expect(page.text).to.match(/<input type="hidden" name="type" value="data_entry">/);
      const token = csrfFrom(page.text);
      const base = {
        _csrf: token,
        form: 'edit',
        type: 'data_entry',
        subject: 'Bolle, non una fattura',
        priority: 'high',
        tags: '',
      };
      const missing = await operator
        .post(`/tickets/${number}/fields`)
        .type('form')
        .send({
          ...base,
          'fields.batchDescription': '',
          'fields.targetSystem': 'SAP',
          'fields.expectedRecordCount': '',
        });
      expect(missing.status).to.equal(422);
      expect(fieldError(missing.text, 'fields.batchDescription')).to.be.a('string').and.not.equal('');
      expect(fieldError(missing.text, 'fields.expectedRecordCount')).to.equal('Campo obbligatorio.');
      expect(inputValue(missing.text, 'fields.targetSystem')).to.equal('SAP');
      expect((await Ticket.findOne({ tenantId: world.acme._id, number }).lean())?.type).to.equal('invoice');

      await operator
        .post(`/tickets/${number}/fields`)
        .type('form')
        .send({
          ...base,
          'fields.batchDescription': 'Bolle della settimana 14',
          'fields.targetSystem': 'SAP',
          'fields.expectedRecordCount': '2.400',
          'fields.recordsCompleted': '',
          'fields.errorCount': '',
        })
        .expect(302);
      const ticket = await Ticket.findOne({ tenantId: world.acme._id, number }).lean();
      expect(ticket?.type).to.equal('data_entry');
      expect(ticket?.subject).to.equal('Bolle, non una fattura');
      expect(ticket?.priority).to.equal('high');
      expect(ticket?.fields).to.deep.equal({
        batchDescription: 'Bolle della settimana 14',
        targetSystem: 'SAP',
        expectedRecordCount: 2400,
        recordsCompleted: 0,
        errorCount: 0,
      });
      const entry = await TimelineEntry.findOne({
        tenantId: world.acme._id,
        ticketId: ticket?._id,
        kind: 'fields',
      })
        .sort({ at: -1 })
        .lean();
      const changes = (entry?.data as { changes: Array<{ field: string; from: unknown; to: unknown }> })
        .changes;
      expect(changes).to.deep.include.members([
        { field: 'type', from: 'invoice', to: 'data_entry' },
        { field: 'subject', from: 'Fattura Rossi Trasporti', to: 'Bolle, non una fattura' },
        { field: 'priority', from: 'normal', to: 'high' },
        { field: 'fields.expectedRecordCount', from: null, to: 2400 },
        { field: 'fields.amount', from: 2000.5, to: null },
      ]);
      // No longer an invoice: its key is released.
      expect(await InvoiceKey.countDocuments({ tenantId: world.acme._id, ticketId: ticket?._id })).to.equal(
        0,
      );
    });

    it('is for staff only', async () => {
      await italian.get(`/tickets/${number}/edit`).expect(403);
    });
  });
});
