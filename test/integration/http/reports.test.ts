import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { Ticket } from '../../../models/ticket.js';
import { resetCaches } from '../../../server/domain/caches.js';
import { portfolio } from '../../../server/domain/reports/portfolio.js';
import { slaReport } from '../../../server/domain/reports/sla-report.js';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';
import { target, type Clock } from '../../support/report-fixture.js';

/**
 * SLA reports over hand-set clocks: a 24x7 calendar (business seconds = wall seconds) in
 * Europe/Rome (UTC+1 in early March 2025, before the DST switch of the 30th), the period
 * 2025-03-03 .. 2025-03-17 (ISO weeks 10 and 11), the previous one 2025-02-17 .. 2025-03-03.
 * Every expected figure below is worked out by hand in the comments.
 */

const H = 3600;
const FR = 1 * H; // first-response target
const RES = 8 * H; // resolution target
/** Local Rome time in March (or February with month 1) 2025 as an instant. */
const at = (day: number, hour: number, minute = 0, month = 2): Date =>
  new Date(Date.UTC(2025, month, day, hour - 1, minute));
const feb = (day: number, hour: number, minute = 0): Date => at(day, hour, minute, 1);
const plus = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);

type TargetSpec = Clock;

interface Spec {
  key: string;
  type: 'data_entry' | 'complaint' | 'invoice';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  channel: 'portal' | 'api' | 'email' | 'import';
  status: 'new' | 'open' | 'pending' | 'resolved' | 'closed';
  createdAt: Date;
  resolvedAt?: Date;
  fr: TargetSpec;
  res: TargetSpec;
  paused?: boolean;
}

/** The fixture. Outcomes: ✓ met on time, ✗ breached; "–" not measured (running or paused). */
const specs: Spec[] = [
  // Current period, week 10.
  // T1: FR ✓ 1800 s, RES ✓ 14400 s.
  {
    key: 'T1',
    type: 'data_entry',
    priority: 'normal',
    channel: 'portal',
    status: 'resolved',
    createdAt: at(4, 10),
    resolvedAt: at(4, 14),
    fr: { metAt: at(4, 10, 30) },
    res: { metAt: at(4, 14) },
  },
  // T2: FR ✗ met at 11:00, due 10:00 (over by 3600), RES ✓ 21600.
  {
    key: 'T2',
    type: 'complaint',
    priority: 'high',
    channel: 'email',
    status: 'resolved',
    createdAt: at(5, 9),
    resolvedAt: at(5, 15),
    fr: { metAt: at(5, 11), breached: true },
    res: { metAt: at(5, 15) },
  },
  // T3: FR ✓ 1200, RES ✗ due 6 Mar 16:00, still open: over by 10 d 8 h = 892800 at the period end.
  {
    key: 'T3',
    type: 'invoice',
    priority: 'urgent',
    channel: 'api',
    status: 'open',
    createdAt: at(6, 8),
    fr: { metAt: at(6, 8, 20) },
    res: { breached: true },
  },
  // Week 11.
  // T4: FR ✓ 3000, RES met late at 19:00 (due 17:00), no breach recorded: ✗ over by 7200; 36000 s.
  {
    key: 'T4',
    type: 'data_entry',
    priority: 'low',
    channel: 'import',
    status: 'resolved',
    createdAt: at(11, 9),
    resolvedAt: at(11, 19),
    fr: { metAt: at(11, 9, 50) },
    res: { metAt: at(11, 19) },
  },
  // T5: FR ✓ 600, RES – (paused, due after the period).
  {
    key: 'T5',
    type: 'complaint',
    priority: 'normal',
    channel: 'portal',
    status: 'pending',
    createdAt: at(14, 12),
    fr: { metAt: at(14, 12, 10) },
    res: { dueAt: at(17, 10) },
    paused: true,
  },
  // T6: FR ✗ due 16 Mar 21:00, unanswered: over by 3 h = 10800; RES – (due after the period).
  {
    key: 'T6',
    type: 'invoice',
    priority: 'high',
    channel: 'email',
    status: 'new',
    createdAt: at(16, 20),
    fr: { breached: true },
    res: {},
  },
  // T7: FR ✓ 1800, RES – (paused past its due time, no breach: not measured).
  {
    key: 'T7',
    type: 'data_entry',
    priority: 'normal',
    channel: 'portal',
    status: 'pending',
    createdAt: at(12, 0),
    fr: { metAt: at(12, 0, 30) },
    res: {},
    paused: true,
  },
  // T9: FR ✓ 1800, RES ✗ due 16 Mar 18:00, resolved 18 Mar 10:00 (after the period): over by 40 h = 144000.
  {
    key: 'T9',
    type: 'invoice',
    priority: 'urgent',
    channel: 'portal',
    status: 'resolved',
    createdAt: at(16, 10),
    resolvedAt: at(18, 10),
    fr: { metAt: at(16, 10, 30) },
    res: { metAt: at(18, 10), breached: true },
  },
  // Previous period: P1 week 8 (FR ✓, RES ✓), P2 week 9 (FR ✗, RES ✓), P3 week 9 (FR ✓; RES ✗ at its due
  // time 1 Mar 18:00, met 3 Mar 08:00 = 165600 s, in the current period: a time, and a resolved ticket, now).
  {
    key: 'P1',
    type: 'data_entry',
    priority: 'normal',
    channel: 'portal',
    status: 'resolved',
    createdAt: feb(20, 10),
    resolvedAt: feb(20, 12),
    fr: { metAt: feb(20, 10, 15) },
    res: { metAt: feb(20, 12) },
  },
  {
    key: 'P2',
    type: 'complaint',
    priority: 'normal',
    channel: 'portal',
    status: 'closed',
    createdAt: feb(27, 10),
    resolvedAt: feb(27, 16),
    fr: { metAt: feb(27, 12), breached: true },
    res: { metAt: feb(27, 16) },
  },
  {
    key: 'P3',
    type: 'invoice',
    priority: 'normal',
    channel: 'email',
    status: 'resolved',
    createdAt: at(1, 10),
    resolvedAt: at(3, 8),
    fr: { metAt: at(1, 10, 30) },
    res: { metAt: at(3, 8), breached: true },
  },
  // T8: opened long before, FR and RES outcomes before both periods, still open: backlog only.
  {
    key: 'T8',
    type: 'data_entry',
    priority: 'low',
    channel: 'api',
    status: 'open',
    createdAt: feb(10, 9),
    fr: { metAt: feb(10, 9, 30) },
    res: { breached: true },
  },
];

const OPERATOR_NAME = 'Olga Operatrice';
let seq = 0;
function ticketDoc(tenant: { _id: Types.ObjectId; code: string }, s: Spec) {
  seq++;
  return {
    tenantId: tenant._id,
    number: `${tenant.code.toUpperCase()}-${s.key}`,
    seq,
    type: s.type,
    subject: `Report fixture ${s.key}`,
    description: '',
    priority: s.priority,
    priorityRank: 2,
    status: s.status,
    channel: s.channel,
    requester: { id: null, name: 'Client Person', email: 'client@example.test' },
    assignee: { id: new Types.ObjectId(), name: OPERATOR_NAME, email: 'olga@example.test' },
    sla: {
      policyVersion: 1,
      startedAt: s.createdAt,
      warnAt: [],
      pausedSeconds: 0,
      pausedSince: s.paused ? plus(s.createdAt, 3600) : null,
      pauses: s.paused ? 1 : 0,
      firstResponse: target(s.createdAt, FR, s.fr),
      resolution: target(s.createdAt, RES, s.res),
      nextEventAt: null,
    },
    tags: [],
    fields: {},
    searchText: '',
    version: 1,
    resolvedAt: s.resolvedAt ?? null,
    closedAt: s.status === 'closed' ? s.resolvedAt : null,
    reopenedAt: null,
    createdAt: s.createdAt,
    updatedAt: s.createdAt,
    lastActivityAt: s.createdAt,
  };
}

const PERIOD = 'from=2025-03-03&to=2025-03-17';

/** Cells of the `<tr data-key="...">` row of a table in the page, as text. */
function rowCells(html: string, table: string, key: string): string[] {
  const section = new RegExp(`data-testid="${table}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
  const row = new RegExp(
    `<tr[^>]*data-key="${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</tr>`,
  ).exec(section)?.[1];
  if (row === undefined) throw new Error(`no row ${key} in ${table}`);
  return [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => textOf(m[1] ?? ''));
}

describe('SLA reports', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acmeId: string;
  let nordId: string;
  let manager: Agent;

  before(async () => {
    tp = await startTestPortal('reports');
    world = await makeWorld();
    acmeId = String(world.acme._id);
    nordId = String(world.nord._id);
    for (const tenant of [world.acme, world.nord])
      await SlaCalendar.create({
        tenantId: tenant._id,
        name: 'Always',
        timeZone: tenant.timeZone,
        alwaysOpen: true,
        weekly: [],
        holidays: [],
        closures: [],
      });
    resetCaches();
    await Ticket.collection.insertMany(specs.map((s) => ticketDoc(world.acme, s)));
    // Nordhavn has a ticket in the same days: it must never count for Acme.
    await Ticket.collection.insertMany([ticketDoc(world.nord, { ...(specs[1] as Spec), key: 'N1' })]);
    manager = await signedInAgent(tp.url, world.users.accountManager.email);
  });
  after(() => tp?.stop());

  describe('the report (domain)', () => {
    it('computes compliance overall, by type and by priority, against the previous period', async () => {
      const report = await slaReport(ctxOf(world.users.accountManager, null), acmeId, {
        from: '2025-03-03',
        to: '2025-03-17',
      });
      expect(report.period).to.include({
        fromDate: '2025-03-03',
        toDate: '2025-03-17',
        key: '2025-03-03_2025-03-17',
      });
      expect(report.previous).to.include({ fromDate: '2025-02-17', toDate: '2025-03-03' });
      const row = (scope: string, key: string) => {
        const r = report.compliance.find((c) => c.scope === scope && c.key === key);
        if (!r) throw new Error(`${scope}:${key}`);
        return [
          r.firstResponse.measured,
          r.firstResponse.met,
          r.firstResponse.pct,
          r.resolution.measured,
          r.resolution.met,
          r.resolution.pct,
        ];
      };
      // FR: T1 T2✗ T3 T4 T5 T6✗ T7 T9 = 6/8; RES: T1 T2 T3✗ T4✗ T9✗ = 2/5.
      expect(row('overall', 'all')).to.deep.equal([8, 6, 75, 5, 2, 40]);
      expect(report.compliance[0]?.combined).to.deep.equal({ measured: 13, met: 8, breached: 5, pct: 61.5 });
      expect(row('type', 'data_entry')).to.deep.equal([3, 3, 100, 2, 1, 50]);
      expect(row('type', 'complaint')).to.deep.equal([2, 1, 50, 1, 1, 100]);
      expect(row('type', 'invoice')).to.deep.equal([3, 2, 66.7, 2, 0, 0]);
      expect(row('priority', 'normal')).to.deep.equal([3, 3, 100, 1, 1, 100]);
      expect(row('priority', 'high')).to.deep.equal([2, 0, 0, 1, 1, 100]);
      expect(row('priority', 'urgent')).to.deep.equal([2, 2, 100, 2, 0, 0]);
      expect(row('priority', 'low')).to.deep.equal([1, 1, 100, 1, 0, 0]);
      // Previous: FR P1 P2✗ P3 = 2/3, RES P1 P2 P3✗ = 2/3.
      expect(report.previousCompliance.firstResponse).to.include({ measured: 3, met: 2, pct: 66.7 });
      expect(report.previousCompliance.resolution).to.include({ measured: 3, met: 2, pct: 66.7 });
    });

    it('lists the breaches with their overshoot in business seconds, worst first', async () => {
      const report = await slaReport(ctxOf(world.users.accountManager, null), acmeId, {
        from: '2025-03-03',
        to: '2025-03-17',
      });
      const code = world.acme.code.toUpperCase();
      expect(
        report.breaches.map((b) => [b.number.replace(`${code}-`, ''), b.target, b.overshootSeconds]),
      ).to.deep.equal([
        ['T3', 'resolution', 892_800],
        ['T9', 'resolution', 144_000],
        ['T6', 'firstResponse', 10_800],
        ['T4', 'resolution', 7_200],
        ['T2', 'firstResponse', 3_600],
      ]);
      const t3 = report.breaches[0];
      expect(t3?.dueAt.toISOString()).to.equal(at(6, 16).toISOString());
      expect(t3?.metAt).to.equal(null);
      expect(t3?.targetSeconds).to.equal(RES);
    });

    it('gives volumes, medians and 90th percentiles, backlog ageing and the weekly trend', async () => {
      const report = await slaReport(ctxOf(world.users.accountManager, null), acmeId, {
        from: '2025-03-03',
        to: '2025-03-17',
      });
      // Opened T1-T7, T9; resolved T1 T2 T4 P3; open at the end T3 T5 T6 T7 T8 T9.
      expect(report.totals).to.deep.equal({ opened: 8, resolved: 4, backlog: 6 });
      const v = (dimension: string, key: string) => {
        const r = report.volumes.find((x) => x.dimension === dimension && x.key === key);
        return [r?.opened, r?.resolved, r?.backlog];
      };
      expect(v('type', 'data_entry')).to.deep.equal([3, 2, 2]);
      expect(v('type', 'complaint')).to.deep.equal([2, 1, 1]);
      expect(v('type', 'invoice')).to.deep.equal([3, 1, 3]);
      expect(v('priority', 'normal')).to.deep.equal([3, 2, 2]);
      expect(v('priority', 'high')).to.deep.equal([2, 1, 1]);
      expect(v('priority', 'urgent')).to.deep.equal([2, 0, 2]);
      expect(v('priority', 'low')).to.deep.equal([1, 1, 1]);
      expect(v('channel', 'portal')).to.deep.equal([4, 1, 3]);
      expect(v('channel', 'email')).to.deep.equal([2, 2, 1]);
      expect(v('channel', 'api')).to.deep.equal([1, 0, 2]);
      expect(v('channel', 'import')).to.deep.equal([1, 1, 0]);
      // FR met in the period: 600 1200 1800 1800 1800 3000 7200 -> median 1800, p90 3000 + 0.4 x 4200 = 4680.
      // RES met in the period: 14400 21600 36000 165600 -> median 28800, p90 36000 + 0.7 x 129600 = 126720.
      expect(report.times).to.deep.equal([
        { target: 'firstResponse', count: 7, medianSeconds: 1800, p90Seconds: 4680 },
        { target: 'resolution', count: 4, medianSeconds: 28800, p90Seconds: 126720 },
      ]);
      // Ages at 17 Mar 00:00: T6 4 h, T9 14 h; T5 2.5 d; T7 5 d; T3 10.7 d, T8 35 d.
      expect(report.ageing).to.deep.equal([
        { bucket: 'lt_1d', count: 2 },
        { bucket: 'd1_3', count: 1 },
        { bucket: 'd3_7', count: 1 },
        { bucket: 'gt_7d', count: 2 },
      ]);
      expect(
        report.trend.map((r) => [
          r.period,
          r.week,
          r.opened,
          r.firstResponse.measured,
          r.firstResponse.met,
          r.resolution.measured,
          r.resolution.met,
        ]),
      ).to.deep.equal([
        ['previous', '2025-W08', 1, 1, 1, 1, 1],
        ['previous', '2025-W09', 2, 2, 1, 2, 1],
        ['current', '2025-W10', 3, 3, 2, 3, 2],
        ['current', '2025-W11', 5, 5, 4, 2, 0],
      ]);
    });

    it('defaults to the last calendar month in the tenant time zone; the portfolio lights it', async () => {
      const now = new Date('2025-04-10T08:00:00Z');
      const report = await slaReport(ctxOf(world.users.accountManager, null), acmeId, {}, now);
      expect(report.period).to.include({ fromDate: '2025-03-01', toDate: '2025-04-01', key: '2025-03' });
      expect(report.period.from.toISOString()).to.equal('2025-02-28T23:00:00.000Z');
      expect(report.previous).to.include({ fromDate: '2025-02-01', toDate: '2025-03-01' });
      const rows = await portfolio(ctxOf(world.users.accountManager, null), now);
      expect(rows.map((r) => r.tenant.code).sort()).to.deep.equal([world.acme.code, world.nord.code].sort());
      const acme = rows.find((r) => r.tenant.id === acmeId);
      // March: the fixture's current period plus P3 (FR ✓ on 1 Mar, RES ✗ due 1 Mar 18:00): FR 7/9, RES 2/6.
      // Unmet breaches run to 1 Apr now: T3 25 d 8 h, T6 15 d 3 h, then T9 40 h (P3: 38 h).
      expect(acme?.combined).to.include({ measured: 15, met: 9, pct: 60 });
      expect(acme?.light).to.equal('red');
      const code = world.acme.code.toUpperCase();
      expect(acme?.worstBreaches.map((b) => b.number.replace(`${code}-`, ''))).to.deep.equal([
        'T3',
        'T6',
        'T9',
      ]);
      // Nordhavn: its one ticket, FR ✗ and RES ✓ -> 1 of 2.
      expect(rows.find((r) => r.tenant.id === nordId)?.combined).to.include({ measured: 2, met: 1, pct: 50 });
    });
  });

  describe('the pages', () => {
    it('shows the portfolio with a traffic light per client', async () => {
      const res = await manager.get('/reports').expect(200);
      const text = textOf(res.text);
      expect(text).to.include(world.acme.legalName);
      expect(text).to.include(world.nord.legalName);
      expect(res.text).to.match(/data-light="(green|amber|red|none)"/);
    });

    it('renders the report tables, readable without JS, in the tenant time zone', async () => {
      const res = await manager.get(`/reports/${acmeId}?${PERIOD}`).expect(200);
      expect(res.text).to.not.include('<script src="/static/vendor');
      expect(rowCells(res.text, 'compliance', 'overall:all').slice(1)).to.deep.equal([
        '75 % (6/8)',
        '40 % (2/5)',
        `${t('en', 'reports.lights.red')} 61.5 %`,
      ]);
      const code = world.acme.code.toUpperCase();
      expect(rowCells(res.text, 'breaches', `${code}-T3:resolution`)).to.deep.equal([
        `${code}-T3`,
        'Resolution',
        '8 h 00 min',
        '6 Mar 2025, 16:00',
        t('en', 'reports.not_met'),
        '10 d 8 h',
      ]);
      expect(rowCells(res.text, 'times', 'resolution')).to.deep.equal([
        'Resolution',
        '4',
        '8 h 00 min',
        '1 d 11 h',
      ]);
      expect(rowCells(res.text, 'ageing', 'gt_7d')).to.deep.equal(['more than 7 days', '2']);
      expect(rowCells(res.text, 'volumes-channel', 'portal')).to.deep.equal(['portal', '4', '1', '3']);
      expect(rowCells(res.text, 'trend', 'current:2025-W11')).to.deep.equal([
        'Current',
        '2025-W11',
        '5',
        '80 % (4/5)',
        '0 % (0/2)',
      ]);
      expect(decodeHtml(res.text)).to.include(`/reports/${acmeId}/export/breaches.csv?${PERIOD}`);
      expect(res.text).to.include('/static/css/reports.css');
    });

    it('refuses a period that is not two dates in order', async () => {
      await manager.get(`/reports/${acmeId}?from=2025-03-17&to=2025-03-03`).expect(422);
      await manager.get(`/reports/${acmeId}?from=yesterday&to=2025-03-03`).expect(422);
    });

    it("shows a client admin their own company's report, which names no operator", async () => {
      const admin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const own = await admin.get(`/reports?${PERIOD}`).expect(200);
      expect(textOf(own.text)).to.include(world.acme.legalName);
      expect(own.text).to.include(`/reports/${acmeId}/export/compliance.csv`);
      const page = await admin.get(`/reports/${acmeId}?${PERIOD}`).expect(200);
      expect(textOf(page.text)).to.include(world.acme.legalName);
      expect(page.text).to.not.include(OPERATOR_NAME);
      const csv = await admin.get(`/reports/${acmeId}/export/breaches.csv?${PERIOD}`).expect(200);
      expect(csv.text).to.not.include(OPERATOR_NAME);
    });
  });

  describe('CSV export', () => {
    it('exports every table with a BOM, the reader separator, plain numbers, as an attachment', async () => {
      const italian = await makeUser({ role: 'account_manager', tenantIds: [world.acme._id], locale: 'it' });
      const agent = await signedInAgent(tp.url, italian.email);
      const res = await agent
        .get(`/reports/${acmeId}/export/compliance.csv?${PERIOD}`)
        .buffer(true)
        .expect(200);
      expect(res.headers['content-type']).to.match(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).to.equal(
        `attachment; filename="sla-${world.acme.code}-2025-03-03_2025-03-17-compliance.csv"`,
      );
      expect(res.text.charCodeAt(0)).to.equal(0xfeff);
      const rows = parse(res.text, { delimiter: ';', bom: true }) as string[][];
      expect(rows[0]?.[0]).to.equal(t('it', 'reports.csv.scope'));
      expect(rows[1]).to.deep.equal([
        t('it', 'reports.csv.scope_overall'),
        t('it', 'reports.csv.all'),
        '8',
        '6',
        '2',
        '75',
        '5',
        '2',
        '3',
        '40',
        '13',
        '8',
        '5',
        '61.5',
      ]);
      const invoice = rows.find((r) => r[1] === t('it', 'ticket_types.invoice'));
      expect(invoice?.slice(2, 6)).to.deep.equal(['3', '2', '1', '66.7']);
    });

    it('parses back to the figures of the report, table by table (English: commas)', async () => {
      const get = async (table: string) => {
        const res = await manager
          .get(`/reports/${acmeId}/export/${table}.csv?${PERIOD}`)
          .buffer(true)
          .expect(200);
        expect(res.headers['content-disposition']).to.match(/^attachment; /);
        return parse(res.text, { delimiter: ',', bom: true }) as string[][];
      };
      const code = world.acme.code.toUpperCase();
      const breaches = await get('breaches');
      expect(breaches.slice(1).map((r) => [r[0], r[4], r[5], r[6], r[7]])).to.deep.equal([
        [`${code}-T3`, '28800', '2025-03-06 16:00:00', '', '892800'],
        [`${code}-T9`, '28800', '2025-03-16 18:00:00', '2025-03-18 10:00:00', '144000'],
        [`${code}-T6`, '3600', '2025-03-16 21:00:00', '', '10800'],
        [`${code}-T4`, '28800', '2025-03-11 17:00:00', '2025-03-11 19:00:00', '7200'],
        [`${code}-T2`, '3600', '2025-03-05 10:00:00', '2025-03-05 11:00:00', '3600'],
      ]);
      expect((await get('times')).slice(1)).to.deep.equal([
        ['First response', '7', '1800', '4680'],
        ['Resolution', '4', '28800', '126720'],
      ]);
      expect((await get('ageing')).slice(1).map((r) => r[1])).to.deep.equal(['2', '1', '1', '2']);
      const volumes = await get('volumes');
      expect(volumes.find((r) => r[0] === 'Channel' && r[1] === 'e-mail')).to.deep.equal([
        'Channel',
        'e-mail',
        '2',
        '2',
        '1',
      ]);
      const trend = await get('trend');
      expect(trend.slice(1).map((r) => r.slice(0, 3))).to.deep.equal([
        ['Previous', '2025-W08', '1'],
        ['Previous', '2025-W09', '2'],
        ['Current', '2025-W10', '3'],
        ['Current', '2025-W11', '5'],
      ]);
      expect((await get('compliance')).length).to.equal(1 + 1 + 3 + 4);
    });
  });

  describe('tenant isolation', () => {
    it("keeps Nordhavn's client admin out of Acme's report and exports", async () => {
      const nord = await signedInAgent(tp.url, world.users.nordAdmin.email);
      const res = await nord.get(`/reports/${acmeId}?${PERIOD}`).expect(404);
      expect(textOf(res.text)).to.not.include(world.acme.legalName);
      await nord.get(`/reports/${acmeId}/export/compliance.csv?${PERIOD}`).expect(404);
      await nord.get(`/reports/${acmeId}/export/breaches.csv`).expect(404);
      await nord.get(`/reports/${nordId}?${PERIOD}`).expect(200);
    });

    it('gives an account manager not serving a client 404, and people without reports 403', async () => {
      const nordOnly = await makeUser({ role: 'account_manager', tenantIds: [world.nord._id] });
      const agent = await signedInAgent(tp.url, nordOnly.email);
      await agent.get(`/reports/${acmeId}`).expect(404);
      await agent.get(`/reports/${acmeId}/export/trend.csv`).expect(404);
      const overview = await agent.get('/reports').expect(200);
      expect(textOf(overview.text)).to.not.include(world.acme.legalName);
      const operator = await signedInAgent(tp.url, world.users.operatorAcme.email);
      await operator.get(`/reports/${acmeId}`).expect(403);
      await operator.get(`/reports/${acmeId}/export/compliance.csv`).expect(403);
      const clientUser = await signedInAgent(tp.url, world.users.acmeUser.email);
      await clientUser.get(`/reports/${acmeId}`).expect(403);
      await clientUser.get('/reports').expect(403);
    });
  });
});
