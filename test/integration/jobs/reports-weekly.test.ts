import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { MailKey } from '../../../models/mail-key.js';
import { Ticket } from '../../../models/ticket.js';
import { WEEKLY_DIGEST_JOB } from '../../../jobs/reports-weekly.js';
import { loadConfig } from '../../../server/config/config.js';
import { resetCaches } from '../../../server/domain/caches.js';
import { systemCtx } from '../../../server/domain/context.js';
import { previousIsoWeek, queueWeeklyDigests } from '../../../server/domain/reports/weekly-digest.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeTenant, makeUser, makeWorld, type World } from '../../support/factories.js';
import { recipientOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const ctx = systemCtx(pino({ level: 'silent' }), 'test');
const keysOf = async (week: string): Promise<string[]> =>
  (await MailKey.find({ _id: { $regex: `^digest:${week}:` } }).lean()).map((k) => String(k._id)).sort();
const digestsTo = (tp: TestPortal, email: string, week: string): ParsedMail[] =>
  tp.smtp.messages.filter((m) => recipientOf(m).includes(email) && (m.subject ?? '').includes(week));
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('weekly SLA digest (reports.weekly-digest)', function () {
  this.timeout(60_000);

  it('takes the ISO week before the current one, across a year end', () => {
    // Monday 10 March 2025, 09:00 in Rome.
    expect(previousIsoWeek('Europe/Rome', new Date('2025-03-10T08:00:00Z'))).to.deep.equal({
      key: '2025-W10',
      fromDate: '2025-03-03',
      toDate: '2025-03-10',
    });
    // Sunday 9 March, 23:30 in Rome: still week 10 there.
    expect(previousIsoWeek('Europe/Rome', new Date('2025-03-09T22:30:00Z')).key).to.equal('2025-W09');
    // Wednesday 1 January 2025 is in 2025-W01 (from Monday 30 December).
    expect(previousIsoWeek('Europe/Rome', new Date('2025-01-01T12:00:00Z'))).to.deep.equal({
      key: '2024-W52',
      fromDate: '2024-12-23',
      toDate: '2024-12-30',
    });
  });

  it('is on unless REPORTS_WEEKLY_DIGEST=false', () => {
    expect(loadConfig({}).reportsWeeklyDigest).to.equal(true);
    expect(loadConfig({ REPORTS_WEEKLY_DIGEST: 'false' }).reportsWeeklyDigest).to.equal(false);
  });

  describe('queueing (domain, fixed instants)', () => {
    let tp: TestPortal;
    let world: World;

    before(async () => {
      tp = await startTestPortal('reports-weekly');
      world = await makeWorld();
      resetCaches();
      // One missed first response at Acme in week 10 (4 March, Rome), still open.
      await Ticket.collection.insertOne({
        tenantId: world.acme._id,
        number: `${world.acme.code.toUpperCase()}-D1`,
        seq: 1,
        type: 'complaint',
        subject: 'Digest fixture',
        description: '',
        priority: 'normal',
        priorityRank: 2,
        status: 'open',
        channel: 'portal',
        requester: { id: null, name: 'Client Person', email: 'client@example.test' },
        assignee: null,
        sla: {
          policyVersion: 1,
          startedAt: new Date('2025-03-04T08:00:00Z'),
          warnAt: [],
          pausedSeconds: 0,
          pausedSince: null,
          pauses: 0,
          firstResponse: {
            targetSeconds: 3600,
            dueAt: new Date('2025-03-04T09:00:00Z'),
            metAt: null,
            businessSeconds: null,
            breachedAt: new Date('2025-03-04T09:00:00Z'),
            warned: [],
          },
          resolution: {
            targetSeconds: 864000,
            dueAt: new Date('2025-04-04T09:00:00Z'),
            metAt: null,
            businessSeconds: null,
            breachedAt: null,
            warned: [],
          },
          nextEventAt: null,
        },
        tags: [],
        fields: {},
        searchText: '',
        version: 1,
        resolvedAt: null,
        closedAt: null,
        reopenedAt: null,
        createdAt: new Date('2025-03-04T08:00:00Z'),
        updatedAt: new Date('2025-03-04T08:00:00Z'),
        lastActivityAt: new Date('2025-03-04T08:00:00Z'),
      });
    });
    after(() => tp?.stop());

    it('queues one mail per (account manager, week) once every client of the manager has ended the week, once', async () => {
      const ny = await makeTenant({
        code: `ny${Date.now().toString(36).slice(-4)}`,
        timeZone: 'America/New_York',
      });
      const italian = await makeUser({ role: 'account_manager', tenantIds: [world.acme._id], locale: 'it' });
      const overseas = await makeUser({ role: 'account_manager', tenantIds: [world.acme._id, ny._id] });
      await makeUser({ role: 'account_manager', tenantIds: [] });
      await makeUser({ role: 'account_manager', tenantIds: [world.acme._id], status: 'disabled' });
      await makeUser({ role: 'team_lead', tenantIds: [world.acme._id] });

      // Monday 10 March, 03:00 in Rome: week 10 is over in Europe; in New York it is still Sunday.
      const early = new Date('2025-03-10T02:00:00Z');
      expect(await queueWeeklyDigests(ctx, early)).to.equal(2);
      expect(await queueWeeklyDigests(ctx, early)).to.equal(0);
      // 01:00 in New York: the overseas manager's turn, once.
      const later = new Date('2025-03-10T05:00:00Z');
      expect(await queueWeeklyDigests(ctx, later)).to.equal(1);
      expect(await queueWeeklyDigests(ctx, later)).to.equal(0);
      expect(await queueWeeklyDigests(ctx, new Date('2025-03-12T10:00:00Z'))).to.equal(0);
      expect(await keysOf('2025-W10')).to.deep.equal(
        [world.users.accountManager.email, italian.email, overseas.email]
          .map((e) => `digest:2025-W10:${e}`)
          .sort(),
      );

      // Delivered through the real SMTP sink, one mail each.
      for (const who of [world.users.accountManager.email, italian.email, overseas.email])
        await tp.smtp.waitFor(() => digestsTo(tp, who, '2025-W10').length > 0);
      await wait(300);
      for (const who of [world.users.accountManager.email, italian.email, overseas.email])
        expect(digestsTo(tp, who, '2025-W10'), who).to.have.length(1);

      const [mine] = digestsTo(tp, world.users.accountManager.email, '2025-W10') as [ParsedMail];
      expect(mine.subject).to.equal('SLA digest 2025-W10: your clients');
      const text = mine.text ?? '';
      expect(text).to.include('(2025-W10, 2025-03-03 to 2025-03-09)');
      expect(text).to.include(
        `${world.acme.legalName}: off target. First response on time: 0 % · resolution on time: – · missed deadlines: 1 · open at the end of the week: 1`,
      );
      expect(text).to.include(`${world.nord.legalName}: no data.`);
      expect(text).to.include(`/reports/${String(world.acme._id)}?from=2025-03-03&to=2025-03-10`);
      const [theirs] = digestsTo(tp, overseas.email, '2025-W10') as [ParsedMail];
      expect(theirs.text)
        .to.include(ny.legalName)
        .and.include(world.acme.legalName)
        .and.not.include(world.nord.legalName);
      const [italiano] = digestsTo(tp, italian.email, '2025-W10') as [ParsedMail];
      expect(italiano.subject).to.equal('Riepilogo SLA 2025-W10: i tuoi clienti');
      expect(italiano.text).to.include('scadenze mancate: 1').and.not.include(world.nord.legalName);

      // The next Monday: a new week, new keys.
      expect(await queueWeeklyDigests(ctx, new Date('2025-03-17T08:00:00Z'))).to.equal(3);
      expect(await keysOf('2025-W11')).to.have.length(3);
    });
  });

  describe('the recurring job on agenda', () => {
    let tp: TestPortal;
    let world: World;

    before(async () => {
      tp = await startTestPortal('reports-weekly-job', { JOBS_ENABLED: 'true' });
      world = await makeWorld();
      resetCaches();
    });
    after(() => tp?.stop());

    it('queues exactly one mail per manager for last week however often it runs, and shows on the jobs page', async () => {
      const agenda = tp.portal.agenda;
      if (!agenda) throw new Error('agenda is not running');
      for (let i = 0; i < 2; i++) {
        const done = new Promise((resolve) => agenda.once(`complete:${WEEKLY_DIGEST_JOB}`, resolve));
        await agenda.now(WEEKLY_DIGEST_JOB);
        await done;
      }
      const week = previousIsoWeek('Europe/Rome', new Date());
      expect(await keysOf(week.key)).to.deep.equal([
        `digest:${week.key}:${world.users.accountManager.email}`,
      ]);
      await tp.smtp.waitFor(() => digestsTo(tp, world.users.accountManager.email, week.key).length > 0);
      await wait(300);
      expect(digestsTo(tp, world.users.accountManager.email, week.key)).to.have.length(1);

      const page = await (
        await signedInAgent(tp.url, world.users.admin.email)
      )
        .get('/admin/jobs')
        .expect(200);
      expect(page.text).to.include(WEEKLY_DIGEST_JOB).and.include('reports.monthly');
    });
  });
});
