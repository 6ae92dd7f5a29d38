import { expect } from 'chai';
import { intervalInUnits, intervalMs } from '../../../server/domain/health/scheduled-jobs.js';
import { t } from '../../../server/i18n/i18n.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { tableRows } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

/** Item 12 of #14: ticket actions in the audit log, filtered by area, labelled; job intervals in words. */
describe('readable history: the audit log records ticket actions; jobs say how often they run', function () {
  this.timeout(60_000);

  describe('audit log', () => {
    let tp: TestPortal;
    let world: World;
    before(async () => {
      tp = await startTestPortal('readable-audit');
      world = await makeWorld();
    });
    after(() => tp?.stop());

    it('records take, assign, release, status and field changes with who, when, tenant and IP; filters by area', async () => {
      const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Audited');
      const page = `/tickets/${ticket.number}`;
      const op = await signedInAgent(tp.url, world.users.operatorAcme.email);
      const lead = await signedInAgent(tp.url, world.users.teamLead.email);
      expect((await postForm(op, page, `${page}/take`, {})).status).to.equal(302);
      expect((await postForm(op, page, `${page}/release`, {})).status).to.equal(302);
      expect(
        (await postForm(lead, page, `${page}/assign`, { userId: String(world.users.operatorAcme.id) }))
          .status,
      ).to.equal(302);
      expect((await postForm(op, page, `${page}/status`, { status: 'pending' })).status).to.equal(302);
      expect((await postForm(op, page, `${page}/fields`, { priority: 'urgent' })).status).to.equal(302);

      const italian = await makeUser({ role: 'admin', locale: 'it' });
      const admin = await signedInAgent(tp.url, italian.email);
      const html = (await admin.get('/admin/audit?area=ticket').expect(200)).text;
      // Columns: when, who, action, tenant, target, ip, details.
      const rows = tableRows(html, 'audit').filter((r) => r[4] === ticket.number);
      const label = (action: string) => t('it', `audit_labels.actions.${action}`);
      const byAction = (action: string) => rows.filter((r) => r[2] === label(action));
      expect(byAction('ticket.taken')[0]?.[1]).to.equal(world.users.operatorAcme.email);
      expect(byAction('ticket.released')[0]?.[1]).to.equal(world.users.operatorAcme.email);
      expect(byAction('ticket.assigned')[0]?.[1]).to.equal(world.users.teamLead.email);
      expect(byAction('ticket.assigned')[0]?.[6]).to.equal(world.users.operatorAcme.name);
      const status = byAction('ticket.status_changed');
      expect(status).to.have.length(1);
      expect(status[0]?.[6]).to.include(t('it', 'ticket_status.pending'));
      expect(byAction('ticket.fields_changed')[0]?.[6]).to.equal('Priorità');
      for (const row of rows) {
        expect(row[3]).to.equal(world.acme.code);
        expect(row[5]).to.match(/127\.0\.0\.1/);
        expect(row[0]).to.not.equal('');
        expect(row.join(' ')).not.to.match(/ticket\.[a-z_]+/);
      }
      expect(rows).to.have.length(5);
      // The area filter keeps its own: no sign-ins among ticket actions, and back.
      const all = tableRows(html, 'audit');
      expect(
        all.every((r) =>
          Object.values(
            t('it', 'audit_labels.actions.ticket', { returnObjects: true }) as unknown as Record<
              string,
              string
            >,
          ).includes(r[2] ?? ''),
        ),
      ).to.equal(true);
      const auth = tableRows((await admin.get('/admin/audit?area=auth').expect(200)).text, 'audit');
      expect(auth.length).to.be.greaterThan(0);
      expect(auth.map((r) => r[2]))
        .to.include(label('auth.sign_in'))
        .and.not.include(label('ticket.taken'));
      expect(html).to.include('data-testid="audit-area"');
    });
  });

  describe('scheduled jobs', () => {
    let tp: TestPortal;
    let world: World;
    before(async () => {
      tp = await startTestPortal('readable-jobs', { JOBS_ENABLED: 'true', SLA_SWEEP_SECONDS: '60' });
      world = await makeWorld();
    });
    after(() => tp?.stop());

    it('reads agenda intervals in units', () => {
      expect(intervalInUnits(intervalMs('15 seconds'))).to.deep.equal({ unit: 'seconds', count: 15 });
      expect(intervalInUnits(intervalMs(86_400_000))).to.deep.equal({ unit: 'days', count: 1 });
      expect(intervalInUnits(intervalMs('1 hour'))).to.deep.equal({ unit: 'hours', count: 1 });
      expect(intervalInUnits(intervalMs(90_000))).to.deep.equal({ unit: 'seconds', count: 90 });
      expect(intervalInUnits(intervalMs('0 * * * *'))).to.equal(null);
    });

    it('shows each job interval in human units, in the reader language', async () => {
      const jobRows = async (locale: 'en' | 'it' | 'da') => {
        const admin = await makeUser({ role: 'admin', locale });
        const agent = await signedInAgent(tp.url, admin.email);
        const rows = tableRows((await agent.get('/admin/jobs').expect(200)).text, 'jobs');
        return new Map(rows.map((r) => [r[0], r[1]]));
      };
      const en = await jobRows('en');
      expect(en.get('tickets.complete-setups')).to.equal('every 15 seconds');
      expect(en.get('mail.deliver-outbox')).to.equal('every 30 seconds');
      expect(en.get('sla.sweep')).to.equal('every minute');
      expect(en.get('sla.repair-due-list')).to.equal('every 30 minutes');
      expect(en.get('reports.monthly')).to.equal('every hour');
      const it = await jobRows('it');
      expect(it.get('tickets.complete-setups')).to.equal('ogni 15 secondi');
      expect(it.get('reports.monthly')).to.equal('ogni ora');
      const da = await jobRows('da');
      expect(da.get('tickets.complete-setups')).to.equal('hvert 15. sekund');
      expect(da.get('sla.sweep')).to.equal('hvert minut');
      void world;
    });
  });
});
