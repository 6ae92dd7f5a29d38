import { expect } from 'chai';
import { pino } from 'pino';
import { AuditEvent } from '../../../models/audit-event.js';
import { LegalHold } from '../../../models/legal-hold.js';
import { systemCtx } from '../../../server/domain/context.js';
import { verifyAuditChain } from '../../../server/domain/audit/verify-audit-chain.js';
import { placeHold } from '../../../server/domain/retention/place-hold.js';
import { t } from '../../../server/i18n/i18n.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf, makeAttachment, makeTicket } from '../../support/tickets.js';

const all = { allTenants: true };

/** Issue 20, item 2: legal holds on a client, a ticket or a file, placed and released with a reason. */
describe('legal holds page', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  before(async () => {
    tp = await startTestPortal('legal-holds');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('places a hold on a ticket and on a file, refuses a second, releases and places again, in Italian', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Contested invoice');
    await makeAttachment(world.users.acmeUser, world.acme, ticket);
    const manager = await makeUser({ role: 'account_manager', tenantIds: [world.acme.id], locale: 'it' });
    const agent = await signedInAgent(tp.url, manager.email);
    const url = `/retention/${world.acme.id}/holds`;
    const page = await agent.get(url).expect(200);
    const place = (fields: Record<string, string>) =>
      agent
        .post(url)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), ...fields });

    await place({ scope: 'ticket', ticketNumber: ticket.number.toLowerCase(), reason: 'Dispute' }).expect(
      302,
    );
    const again = await place({ scope: 'ticket', ticketNumber: ticket.number, reason: 'Twice' }).expect(409);
    expect(fieldError(again.text, 'reason')).to.equal(t('it', 'retention.holds.errors.already'));
    await place({
      scope: 'document',
      ticketNumber: ticket.number,
      filename: 'pixel.png',
      reason: 'Audit',
    }).expect(302);
    const noFile = await place({
      scope: 'document',
      ticketNumber: ticket.number,
      filename: 'x.pdf',
      reason: 'A',
    });
    expect(noFile.status).to.equal(422);
    expect(fieldError(noFile.text, 'filename')).to.equal(t('it', 'retention.holds.errors.no_file'));
    const noReason = await place({ scope: 'tenant', reason: ' ' }).expect(422);
    expect(fieldError(noReason.text, 'reason')).to.equal(t('it', 'retention.holds.errors.reason'));

    const listed = await agent.get(url).expect(200);
    expect(tableRows(listed.text, 'holds-active')).to.have.length(2);
    const hold = await LegalHold.findOne({
      tenantId: world.acme._id,
      scope: 'ticket',
      releasedAt: null,
    }).lean();
    const release = `${url}/${String(hold?._id)}/release`;
    const blank = await agent
      .post(release)
      .type('form')
      .send({ _csrf: csrfFrom(listed.text), reason: '' });
    expect(blank.status).to.equal(422);
    expect(fieldError(blank.text, `release-${String(hold?._id)}`) ?? blank.text).to.contain(
      t('it', 'retention.holds.errors.reason'),
    );
    await agent
      .post(release)
      .type('form')
      .send({ _csrf: csrfFrom(listed.text), reason: 'Settled' })
      .expect(302);
    await agent
      .post(release)
      .type('form')
      .send({ _csrf: csrfFrom(listed.text), reason: 'Again' })
      .expect(404);
    await place({ scope: 'ticket', ticketNumber: ticket.number, reason: 'New dispute' }).expect(302);
    const after = await agent.get(url).expect(200);
    expect(tableRows(after.text, 'holds-released')).to.have.length(1);

    const actions = (
      await AuditEvent.find({ tenantId: world.acme._id, action: /^retention\.hold/ })
        .setOptions(all)
        .lean()
    ).map((e) => e.action);
    expect(actions.sort()).to.deep.equal([
      'retention.hold_placed',
      'retention.hold_placed',
      'retention.hold_placed',
      'retention.hold_released',
    ]);
    expect((await verifyAuditChain(systemCtx(pino({ level: 'silent' }), 't'))).ok).to.equal(true);
  });

  it('lets exactly one of ten simultaneous holds on the same ticket through', async () => {
    const ticket = await makeTicket(world.users.nordUser, world.nord, 'Raced');
    const ctx = systemCtx(pino({ level: 'silent' }), 'holds-race');
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        placeHold(ctx, world.nord.id, {
          scope: 'ticket',
          ticketNumber: ticket.number,
          reason: `Race ${i}`,
        }).then(
          () => 'placed',
          (err: { code?: string }) => err.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'placed')).to.have.length(1);
    expect(outcomes.filter((o) => o === 'duplicate')).to.have.length(9);
    expect(await LegalHold.countDocuments({ tenantId: world.nord._id, targetId: ticket._id })).to.equal(1);
  });

  it('never reaches another client: its ticket numbers are unknown here, its pages 404, clients 403', async () => {
    const nordTicket = await makeTicket(world.users.nordUser, world.nord, 'Nordic');
    const manager = await makeUser({ role: 'account_manager', tenantIds: [world.acme.id] });
    const agent = await signedInAgent(tp.url, manager.email);
    const page = await agent.get(`/retention/${world.acme.id}/holds`).expect(200);
    const res = await agent
      .post(`/retention/${world.acme.id}/holds`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), scope: 'ticket', ticketNumber: nordTicket.number, reason: 'Cross' })
      .expect(422);
    expect(fieldError(res.text, 'ticketNumber')).to.equal(t('en', 'retention.holds.errors.no_ticket'));
    await agent.get(`/retention/${world.nord.id}/holds`).expect(404);
    const nordHold = await LegalHold.findOne({ tenantId: world.nord._id }).lean();
    await agent
      .post(`/retention/${world.nord.id}/holds/${String(nordHold?._id)}/release`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reason: 'Cross' })
      .expect(404);
    await agent
      .post(`/retention/${world.acme.id}/holds/${String(nordHold?._id)}/release`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reason: 'Cross' })
      .expect(404);
    expect((await LegalHold.findById(nordHold?._id).setOptions(all).lean())?.releasedAt).to.equal(null);
    const clientAdmin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    await clientAdmin.get(`/retention/${world.acme.id}/holds`).expect(403);
  });

  it('shows staff the holds that keep a ticket on its page, in their language; never the client', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Held for the auditors');
    await placeHold(ctxOf(world.users.accountManager, null), String(world.acme.id), {
      scope: 'ticket',
      ticketNumber: ticket.number,
      reason: 'Tax audit 2026',
    });
    const operator = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'da' });
    const staffPage = await (
      await signedInAgent(tp.url, operator.email)
    )
      .get(`/tickets/${ticket.number}`)
      .expect(200);
    const banner = textOf(staffPage.text);
    expect(banner).to.include('Retligt tilbagehold');
    expect(banner).to.include('Tax audit 2026');
    const clientPage = await (
      await signedInAgent(tp.url, world.users.acmeUser.email)
    )
      .get(`/tickets/${ticket.number}`)
      .expect(200);
    expect(clientPage.text).not.to.include('data-testid="legal-hold"');
    expect(clientPage.text).not.to.include('Tax audit 2026');
  });
});
