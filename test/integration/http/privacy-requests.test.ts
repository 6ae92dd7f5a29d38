import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { AuditEvent } from '../../../models/audit-event.js';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { t } from '../../../server/i18n/i18n.js';
import { binary } from '../../support/api.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeSubject } from '../../support/privacy.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, textOfElementWith, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeAttachment, makeTicket, tinyPng } from '../../support/tickets.js';
import { unzip } from '../../support/zip.js';

/** Issue 20, item 4: a client admin asks, an admin approves, the archive holds everything about the person. */
describe('data subject requests (pages)', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  before(async () => {
    tp = await startTestPortal('privacy-requests');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('a client admin requests an export in Danish, an admin approves it, both download a complete archive; another client sees nothing', async () => {
    const email = 'ole.hansen@kunde.example';
    const person = await makeSubject(world.nord.id, email, 'Ole Hansen');
    const ticket = await makeTicket(person, world.nord, 'Forsinket levering');
    await makeAttachment(person, world.nord, ticket);
    await addReply(ctxOf(world.users.operatorBoth, world.nord), ticket.number, {
      body: 'Hej Ole, vi ser på det.',
    });
    const clientAdmin = await makeUser({ role: 'client_admin', tenantId: world.nord.id, locale: 'da' });
    const agent = await signedInAgent(tp.url, clientAdmin.email);
    const page = await agent.get('/privacy').expect(200);
    const post = (fields: Record<string, string>) =>
      agent
        .post('/privacy')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), ...fields });

    const bad = await post({ kind: 'export', email: 'ole@', phone: '12' }).expect(422);
    expect(fieldError(bad.text, 'email')).to.equal(t('da', 'privacy.errors.email'));
    expect(fieldError(bad.text, 'phone')).to.equal(t('da', 'privacy.errors.phone'));
    const made = await post({ kind: 'export', email, name: 'Ole Hansen', note: 'Asked by phone' }).expect(
      302,
    );
    const requestUrl = made.headers.location as string;
    const twice = await post({ kind: 'export', email, name: 'Ole Hansen' }).expect(409);
    expect(fieldError(twice.text, 'email')).to.equal(t('da', 'privacy.errors.open'));
    const shown = await agent.get(requestUrl).expect(200);
    expect(textOf(shown.text)).to.include(t('da', 'privacy.statuses.requested'));
    // Not approved yet: no archive.
    await agent.get(`${requestUrl}/archive.zip`).expect(409);

    // Another client's admin: not found, and not in their list.
    const acme = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    await acme.get(requestUrl).expect(404);
    await acme.get(`${requestUrl}/archive.zip`).expect(404);
    expect((await acme.get('/privacy').expect(200)).text).not.to.include(email);

    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const adminPage = await admin.get(requestUrl).expect(200);
    // The admin decides for every client: the page names whose request it is (the client's own admin needs no reminder).
    expect(textOfElementWith(adminPage.text, 'data-testid="privacy-client"')).to.equal(world.nord.legalName);
    expect(shown.text).not.to.include('data-testid="privacy-client"');
    await admin
      .post(`${requestUrl}/decide`)
      .type('form')
      .send({ _csrf: csrfFrom(adminPage.text), decision: 'approve', note: 'Identity checked' })
      .expect(302);

    for (const who of [agent, admin]) {
      const res = await who.get(`${requestUrl}/archive.zip`).buffer(true).parse(binary).expect(200);
      expect(res.headers['content-type']).to.equal('application/zip');
      const entries = await unzip(res.body as Buffer);
      const names = [...entries.keys()];
      expect(names).to.include.members([
        'account.json',
        'tickets.json',
        'mails.json',
        'inbound-mails.json',
        'ratings.json',
        'manifest.json',
      ]);
      const account = JSON.parse(String(entries.get('account.json'))) as Array<Record<string, unknown>>;
      expect(account).to.have.length(1);
      expect(account[0]).to.include({ name: 'Ole Hansen', email });
      expect(account[0]).not.to.have.property('passwordHash');
      const tickets = JSON.parse(String(entries.get('tickets.json'))) as Array<{
        number: string;
        messages: Array<{ body: string }>;
      }>;
      expect(tickets.map((x) => x.number)).to.deep.equal([ticket.number]);
      expect(tickets[0]?.messages.map((m) => m.body)).to.include('Hej Ole, vi ser på det.');
      const mails = JSON.parse(String(entries.get('mails.json'))) as Array<{ to: string }>;
      expect(mails.length).to.be.greaterThan(0);
      expect(mails.every((m) => m.to === email)).to.equal(true);
      const stored = names.find((n) => n.startsWith(`files/${ticket.number}/`) && n.endsWith('pixel.png'));
      expect(stored, 'the file').to.be.a('string');
      expect(entries.get(stored as string)?.equals(tinyPng)).to.equal(true);
      const manifest = JSON.parse(String(entries.get('manifest.json'))) as {
        files: Array<{ path: string; sha256: string }>;
      };
      for (const entry of manifest.files)
        expect(
          createHash('sha256')
            .update(entries.get(entry.path) as Buffer)
            .digest('hex'),
          entry.path,
        ).to.equal(entry.sha256);
    }
    const request = await PrivacyRequest.findOne({ tenantId: world.nord._id, 'subject.email': email }).lean();
    expect(request?.status).to.equal('done');
    expect(request?.downloads).to.have.length(2);
    const audited = await AuditEvent.find({ targetId: request?._id }).setOptions({ allTenants: true }).lean();
    expect(audited.map((e) => e.action).sort()).to.deep.equal([
      'privacy.approved',
      'privacy.exported',
      'privacy.exported',
      'privacy.requested',
    ]);
  });

  it('an admin runs an erasure from the page; the client admin sees it done, in Italian', async () => {
    const email = 'anna.rossi@cliente.example';
    const person = await makeSubject(world.acme.id, email, 'Anna Rossi');
    await makeTicket(person, world.acme, 'Reclamo di Anna Rossi');
    const clientAdmin = await makeUser({ role: 'client_admin', tenantId: world.acme.id, locale: 'it' });
    const agent = await signedInAgent(tp.url, clientAdmin.email);
    const page = await agent.get('/privacy').expect(200);
    const made = await agent
      .post('/privacy')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), kind: 'erasure', email, name: 'Anna Rossi' })
      .expect(302);
    const requestUrl = made.headers.location as string;
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    let adminPage = await admin.get(requestUrl).expect(200);
    // Not approved yet: the run is refused, back to the request with the reason.
    await admin
      .post(`${requestUrl}/run`)
      .type('form')
      .send({ _csrf: csrfFrom(adminPage.text) })
      .expect(302);
    await admin
      .post(`${requestUrl}/decide`)
      .type('form')
      .send({ _csrf: csrfFrom(adminPage.text), decision: 'approve' })
      .expect(302);
    adminPage = await admin.get(requestUrl).expect(200);
    expect(adminPage.text).to.include('data-testid="privacy-run"');
    await admin
      .post(`${requestUrl}/run`)
      .type('form')
      .send({ _csrf: csrfFrom(adminPage.text) })
      .expect(302);
    // It runs in the background: the page says so until it is done.
    let done = await agent.get(requestUrl).expect(200);
    for (let i = 0; i < 100 && !textOf(done.text).includes(t('it', 'privacy.statuses.done')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      done = await agent.get(requestUrl).expect(200);
    }
    expect(textOf(done.text)).to.include(t('it', 'privacy.statuses.done'));
    expect(done.text).not.to.include('Anna Rossi');
    expect(done.text).not.to.include(email);
    const list = await agent.get('/privacy').expect(200);
    expect(list.text).not.to.include(email);
  });
});
