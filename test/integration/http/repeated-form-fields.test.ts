import { expect } from 'chai';
import supertest from 'supertest';
import { AuditEvent } from '../../../models/audit-event.js';
import { startBatch } from '../../../server/domain/quality/batch.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { t } from '../../../server/i18n/i18n.js';
import { bodies, tokenOf } from '../../support/api.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, inputValue, newObjectId } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * A form field sent twice where one value is expected is refused on it, "give one value only",
 * and the form shown again (found by the outside test: the keying form took a repeated value as
 * empty; the webhook replay form took a repeated event id for a range).
 */
describe('forms: a field sent twice is told so', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('repeated-form-fields');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('refuses a repeated keyed value on its field, in Italian, and keeps the others', async () => {
    const keyer = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), String(world.acme.id), {
      name: 'Twice sent',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      doubleKeyCritical: false,
      fields: [
        { key: 'ref', label: 'Reference', type: 'text' },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2 },
      ],
    });
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    await startBatch(ctxOf(keyer, null), ticket.number, String(layout._id));
    const agent = await signedInAgent(tp.url, keyer.email);
    const page = `/tickets/${ticket.number}/keying`;
    const res = await postForm(agent, page, `${page}/records`, {
      'values.ref': ['R-1', 'R-2'],
      'values.amount': '12',
    });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'values.ref')).to.equal(t('it', 'input_checks.given_twice'));
    expect(inputValue(res.text, 'values.amount')).to.equal('12');
    // Sent once, the same record is keyed.
    await postForm(agent, page, `${page}/records`, { 'values.ref': 'R-1', 'values.amount': '12' }).then((r) =>
      expect(r.status).to.equal(302),
    );
  });

  it('refuses a repeated replay event id on it, not as a range, in the reader’s language', async () => {
    const { token } = await tokenOf(world.users.nordAdmin, 'erp');
    const created = await supertest(tp.url)
      .post('/api/v1/webhook-endpoints')
      .set('Authorization', `Bearer ${token}`)
      .send({ url: 'https://hooks.invalid/erp', description: 'ERP', events: ['ticket.created'] })
      .expect(201);
    const path = `/webhooks/${created.body.id as string}`;
    const agent = await signedInAgent(tp.url, world.users.nordAdmin.email);
    const res = await postForm(agent, path, `${path}/replay`, { eventId: [newObjectId(), newObjectId()] });
    expect(res.status).to.equal(422);
    // Nord's admin reads Danish (the client's language).
    expect(fieldError(res.text, 'eventId')).to.equal(t('da', 'input_checks.given_twice'));
    expect(res.text).not.to.contain('id="e-from"');
    expect(inputValue(res.text, 'url')).to.equal('https://hooks.invalid/erp');
    expect(
      await AuditEvent.countDocuments({ tenantId: world.nord._id, action: 'webhook.replayed' }),
    ).to.equal(0);
  });

  it('tells a repeated choice of a union (audit filter) or of an SLA-style form (data requests) the same way', async () => {
    const admin = await makeUser({ role: 'admin', locale: 'da' });
    const agent = await signedInAgent(tp.url, admin.email);
    const audit = await agent.get('/admin/audit?area=auth&area=user').expect(422);
    expect(fieldError(audit.text, 'area')).to.equal(t('da', 'input_checks.given_twice'));
    const request = await postForm(agent, '/privacy', '/privacy', {
      tenantId: String(world.acme.id),
      kind: ['export', 'erasure'],
      email: ['a@example.com', 'b@example.com'],
      name: 'Twice Named',
    });
    expect(request.status).to.equal(422);
    expect(fieldError(request.text, 'kind')).to.equal(t('da', 'input_checks.given_twice'));
    expect(fieldError(request.text, 'email')).to.equal(t('da', 'input_checks.given_twice'));
    expect(inputValue(request.text, 'name')).to.equal('Twice Named');
  });
});
