import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import type { UserDoc } from '../../../models/user.js';
import { operatorView, type OperatorRow } from '../../../server/domain/reports/operator-view.js';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * The operator view over hand-set tickets. Period 2025-03-03 .. 2025-03-17 in the viewer's time
 * zone, Europe/Rome (UTC+1 until the DST switch of 30 March). Each ticket states who held it,
 * when it was resolved, its first-response and resolution outcome and its business seconds to
 * resolution; the expected figures are worked out in the comments.
 */

const H = 3600;
/** Local Rome time in March 2025 (month 1: February) as an instant. */
const at = (day: number, hour: number, minute = 0, month = 2): Date =>
  new Date(Date.UTC(2025, month, day, hour - 1, minute));
const plus = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);

type Outcome = 'met' | 'late' | 'breached' | 'open';
interface Spec {
  key: string;
  tenant: 'acme' | 'nord';
  /** Who held the ticket: a world user's key, a ghost (no longer a user), or nobody. */
  holder: keyof World['users'] | 'leadAcme' | 'nordOnly' | 'ghost' | null;
  status: 'open' | 'resolved' | 'closed';
  resolvedAt: Date | null;
  fr: Outcome;
  res: Outcome;
  /** Business seconds to resolution, when measured. */
  seconds: number | null;
}

const PERIOD = { from: '2025-03-03', to: '2025-03-17' };
const QUERY = `from=${PERIOD.from}&to=${PERIOD.to}`;

const specs: Spec[] = [
  // operatorBoth at Acme: A1 A2 A3 A11 -> handled 4; times 14400 21600 36000 -> median 21600;
  // FR met A1 A3 A11, breached A2; RES met A1 A2, breached A3, A11 reopened and not decided.
  {
    key: 'A1',
    tenant: 'acme',
    holder: 'operatorBoth',
    status: 'resolved',
    resolvedAt: at(4, 14),
    fr: 'met',
    res: 'met',
    seconds: 4 * H,
  },
  {
    key: 'A2',
    tenant: 'acme',
    holder: 'operatorBoth',
    status: 'resolved',
    resolvedAt: at(5, 15),
    fr: 'late',
    res: 'met',
    seconds: 6 * H,
  },
  {
    key: 'A3',
    tenant: 'acme',
    holder: 'operatorBoth',
    status: 'closed',
    resolvedAt: at(10, 12),
    fr: 'met',
    res: 'late',
    seconds: 10 * H,
  },
  {
    key: 'A11',
    tenant: 'acme',
    holder: 'operatorBoth',
    status: 'open',
    resolvedAt: at(8, 10),
    fr: 'met',
    res: 'open',
    seconds: null,
  },
  {
    key: 'A10',
    tenant: 'acme',
    holder: 'operatorBoth',
    status: 'open',
    resolvedAt: null,
    fr: 'met',
    res: 'open',
    seconds: null,
  },
  // operatorAcme: A4 A5 A9 -> handled 3; times 600 3600 7200 -> median 3600; all met.
  // A9 is resolved at 00:10 on 3 March in Rome (still 2 March in UTC): in. A8 at 00:30 on
  // 17 March in Rome (16 March in UTC): out. A7 on 1 March: out.
  {
    key: 'A4',
    tenant: 'acme',
    holder: 'operatorAcme',
    status: 'resolved',
    resolvedAt: at(6, 10),
    fr: 'met',
    res: 'met',
    seconds: 1 * H,
  },
  {
    key: 'A5',
    tenant: 'acme',
    holder: 'operatorAcme',
    status: 'closed',
    resolvedAt: at(12, 9),
    fr: 'met',
    res: 'met',
    seconds: 2 * H,
  },
  {
    key: 'A9',
    tenant: 'acme',
    holder: 'operatorAcme',
    status: 'resolved',
    resolvedAt: at(3, 0, 10),
    fr: 'met',
    res: 'met',
    seconds: 600,
  },
  {
    key: 'A8',
    tenant: 'acme',
    holder: 'operatorAcme',
    status: 'resolved',
    resolvedAt: at(17, 0, 30),
    fr: 'met',
    res: 'met',
    seconds: 900,
  },
  {
    key: 'A7',
    tenant: 'acme',
    holder: 'operatorAcme',
    status: 'resolved',
    resolvedAt: at(1, 12),
    fr: 'met',
    res: 'met',
    seconds: 900,
  },
  // Nobody held A6: FR breach recorded, RES met in 1800 s.
  {
    key: 'A6',
    tenant: 'acme',
    holder: null,
    status: 'resolved',
    resolvedAt: at(7, 11),
    fr: 'breached',
    res: 'met',
    seconds: 1800,
  },
  // Someone who is no longer a user: a row of their own, from the ticket's assignee.
  {
    key: 'A12',
    tenant: 'acme',
    holder: 'ghost',
    status: 'resolved',
    resolvedAt: at(11, 16),
    fr: 'met',
    res: 'met',
    seconds: 5000,
  },
  // Nordhavn: never in the view of a lead serving Acme only.
  {
    key: 'N1',
    tenant: 'nord',
    holder: 'operatorBoth',
    status: 'resolved',
    resolvedAt: at(5, 11),
    fr: 'met',
    res: 'late',
    seconds: 50_000,
  },
  {
    key: 'N2',
    tenant: 'nord',
    holder: 'nordOnly',
    status: 'resolved',
    resolvedAt: at(6, 11),
    fr: 'met',
    res: 'met',
    seconds: 900,
  },
];

const GHOST = { id: new Types.ObjectId(), name: 'Gianni Fantasma', email: 'gianni@former.example' };

function target(
  created: Date,
  seconds: number,
  outcome: Outcome,
  metAt: Date | null,
  businessSeconds: number | null,
) {
  const blank = { targetSeconds: seconds, businessSeconds, breachedAt: null, warned: [] };
  switch (outcome) {
    case 'met': {
      const met = metAt ?? plus(created, seconds / 2);
      return { ...blank, dueAt: plus(created, seconds), metAt: met };
    }
    case 'late': {
      // Met a minute after its due time, no breach recorded (the sweep had not run yet).
      const met = metAt ?? plus(created, 2 * seconds);
      return { ...blank, dueAt: plus(met, -60), metAt: met };
    }
    case 'breached': {
      const dueAt = plus(created, seconds);
      return { ...blank, dueAt, metAt: plus(dueAt, 600), breachedAt: dueAt };
    }
    case 'open':
      return { ...blank, dueAt: plus(at(17, 0), 30 * 24 * H), metAt: null, businessSeconds: null };
  }
}

describe('operator view (reports.operators)', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let leadAcme: UserDoc;
  let nordOnly: UserDoc;
  let lead: Agent;

  before(async () => {
    tp = await startTestPortal('report-operators');
    world = await makeWorld();
    leadAcme = await makeUser({ role: 'team_lead', tenantIds: [world.acme._id], name: 'Lucia Capoturno' });
    nordOnly = await makeUser({ role: 'operator', tenantIds: [world.nord._id], name: 'Nils Nordmand' });
    const people: Record<string, { id: unknown; name: string; email: string }> = { ghost: GHOST };
    for (const [key, user] of Object.entries({ ...world.users, leadAcme, nordOnly }))
      people[key] = { id: user._id, name: user.name, email: user.email };
    let seq = 0;
    await Ticket.collection.insertMany(
      specs.map((s) => {
        const tenant = world[s.tenant];
        const created = s.resolvedAt ? plus(s.resolvedAt, -2 * H) : at(2, 9);
        const resolutionMet = s.res === 'open' ? null : s.resolvedAt;
        return {
          tenantId: tenant._id,
          number: `${tenant.code.toUpperCase()}-${s.key}`,
          seq: ++seq,
          type: 'complaint',
          subject: `Operator fixture ${s.key}`,
          description: '',
          priority: 'normal',
          priorityRank: 2,
          status: s.status,
          channel: 'portal',
          requester: { id: null, name: 'Client Person', email: 'client@example.test' },
          assignee: s.holder ? people[s.holder] : null,
          sla: {
            policyVersion: 1,
            startedAt: created,
            warnAt: [],
            pausedSeconds: 0,
            pausedSince: null,
            pauses: 0,
            firstResponse: target(created, 1 * H, s.fr, null, 600),
            resolution: target(created, 8 * H, s.res, resolutionMet, s.seconds),
            nextEventAt: null,
          },
          tags: [],
          fields: {},
          searchText: '',
          version: 1,
          resolvedAt: s.resolvedAt,
          closedAt: s.status === 'closed' ? s.resolvedAt : null,
          reopenedAt: s.status === 'open' && s.resolvedAt ? plus(s.resolvedAt, H) : null,
          createdAt: created,
          updatedAt: created,
          lastActivityAt: created,
        };
      }),
    );
    lead = await signedInAgent(tp.url, leadAcme.email);
  });
  after(() => tp?.stop());

  const figures = (r: OperatorRow | null | undefined) =>
    r && [
      r.handled,
      r.timed,
      r.medianSeconds,
      r.firstResponse.met,
      r.firstResponse.breached,
      r.resolution.met,
      r.resolution.breached,
    ];
  const idOf = (u: { _id: unknown }) => String(u._id);

  describe('the view (domain)', () => {
    it("counts a lead's operators over the clients the lead serves only", async () => {
      const view = await operatorView(ctxOf(leadAcme, null), 'Europe/Rome', PERIOD);
      expect(view.period).to.include({ fromDate: '2025-03-03', toDate: '2025-03-17' });
      const row = (id: string) => view.rows.find((r) => r.operator?.id === id);
      expect(figures(row(idOf(world.users.operatorBoth)))).to.deep.equal([4, 3, 21_600, 3, 1, 2, 1]);
      expect(figures(row(idOf(world.users.operatorAcme)))).to.deep.equal([3, 3, 3_600, 3, 0, 3, 0]);
      expect(figures(row(String(GHOST.id)))).to.deep.equal([1, 1, 5_000, 1, 0, 1, 0]);
      expect(row(String(GHOST.id))?.operator).to.deep.equal({
        id: String(GHOST.id),
        name: GHOST.name,
        email: GHOST.email,
      });
      // Team leads serving Acme show, with nothing handled; the Nordhavn-only operator never does.
      expect(figures(row(idOf(world.users.teamLead)))).to.deep.equal([0, 0, null, 0, 0, 0, 0]);
      expect(figures(row(idOf(leadAcme)))).to.deep.equal([0, 0, null, 0, 0, 0, 0]);
      expect(row(idOf(nordOnly))).to.equal(undefined);
      expect(view.rows.map((r) => r.operator?.id))
        .to.not.include(idOf(world.users.accountManager))
        .and.not.include(idOf(world.users.admin));
      expect(view.rows).to.have.length(5);
      expect(view.rows.slice(0, 3).map((r) => r.handled)).to.deep.equal([4, 3, 1]);
      expect(figures(view.unassigned)).to.deep.equal([1, 1, 1_800, 0, 1, 1, 0]);
      // Handled: A1-A6 less A7 A8 A10, plus A9 A11 A12 = 9; FR 7 met 2 missed; RES 7 met 1 missed.
      expect(view.totals).to.deep.equal({
        handled: 9,
        firstResponse: { met: 7, breached: 2 },
        resolution: { met: 7, breached: 1 },
      });
    });

    it('adds the Nordhavn tickets for a lead serving both clients, and every client for an admin', async () => {
      const both = await operatorView(ctxOf(world.users.teamLead, null), 'Europe/Rome', PERIOD);
      // operatorBoth: A1 A2 A3 A11 N1; times 14400 21600 36000 50000 -> median 28800.
      expect(figures(both.rows.find((r) => r.operator?.id === idOf(world.users.operatorBoth)))).to.deep.equal(
        [5, 4, 28_800, 4, 1, 2, 2],
      );
      expect(figures(both.rows.find((r) => r.operator?.id === idOf(nordOnly)))).to.deep.equal([
        1, 1, 900, 1, 0, 1, 0,
      ]);
      expect(both.totals.handled).to.equal(11);
      const all = await operatorView(ctxOf(world.users.admin, null), 'Europe/Rome', PERIOD);
      expect(all.totals).to.deep.equal(both.totals);
    });

    it('reads the period in the time zone given: in UTC, A9 falls out and A8 comes in', async () => {
      const utc = await operatorView(ctxOf(leadAcme, null), 'UTC', PERIOD);
      const acmeOnly = utc.rows.find((r) => r.operator?.id === idOf(world.users.operatorAcme));
      // A4 A5 A8: 900 3600 7200.
      expect(figures(acmeOnly)).to.deep.equal([3, 3, 3_600, 3, 0, 3, 0]);
      expect(utc.period.from.toISOString()).to.equal('2025-03-03T00:00:00.000Z');
      const rome = await operatorView(ctxOf(leadAcme, null), 'Europe/Rome', {
        from: '2025-03-17',
        to: '2025-03-18',
      });
      expect(rome.totals.handled).to.equal(1);
    });

    it('is for team leads and admins only', async () => {
      for (const who of ['operatorAcme', 'accountManager', 'acmeAdmin'] as const) {
        const err = await operatorView(
          ctxOf(world.users[who], who === 'acmeAdmin' ? world.acme : null),
          'Europe/Rome',
          PERIOD,
        ).catch((e: unknown) => e);
        expect((err as { code?: string }).code, who).to.equal('forbidden');
      }
    });
  });

  describe('the page and its CSV', () => {
    it('shows one row per operator, in the reader time zone, naming nobody of another client', async () => {
      const res = await lead.get(`/reports/operators?${QUERY}`).expect(200);
      const cells = (key: string) => {
        const row = new RegExp(`<tr[^>]*data-key="${key}"[^>]*>([\\s\\S]*?)</tr>`).exec(res.text)?.[1] ?? '';
        return [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => textOf(m[1] ?? ''));
      };
      expect(cells(idOf(world.users.operatorBoth))).to.deep.equal([
        world.users.operatorBoth.name,
        '4',
        '6 h 00 min (3)',
        '3',
        '1',
        '2',
        '1',
      ]);
      expect(cells('unassigned')).to.deep.equal([
        t('en', 'operators.unassigned'),
        '1',
        '30 min (1)',
        '0',
        '1',
        '1',
        '0',
      ]);
      expect(cells(idOf(leadAcme))).to.deep.equal([leadAcme.name, '0', '–', '0', '0', '0', '0']);
      expect(cells('total')).to.deep.equal([t('en', 'operators.total'), '9', '', '7', '2', '7', '1']);
      const text = textOf(res.text);
      expect(text).to.not.include(nordOnly.name);
      expect(text).to.not.include(world.nord.legalName);
      expect(decodeHtml(res.text)).to.include(`/reports/operators/export.csv?${QUERY}`);
      // The nav links the view for team leads.
      expect(res.text).to.include('href="/reports/operators"');
    });

    it('exports the same figures as CSV, parsed back (English: commas; Italian: semicolons)', async () => {
      const res = await lead.get(`/reports/operators/export.csv?${QUERY}`).buffer(true).expect(200);
      expect(res.headers['content-type']).to.match(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).to.equal(
        'attachment; filename="operators-2025-03-03_2025-03-17.csv"',
      );
      const rows = parse(res.text, { delimiter: ',', bom: true }) as string[][];
      expect(rows[0]?.[0]).to.equal(t('en', 'operators.csv.operator'));
      expect(rows).to.have.length(1 + 5 + 1);
      const byName = (name: string) => rows.find((r) => r[0] === name)?.slice(1);
      expect(byName(world.users.operatorBoth.name)).to.deep.equal([
        world.users.operatorBoth.email,
        '4',
        '3',
        '21600',
        '3',
        '1',
        '2',
        '1',
      ]);
      expect(byName(world.users.operatorAcme.name)).to.deep.equal([
        world.users.operatorAcme.email,
        '3',
        '3',
        '3600',
        '3',
        '0',
        '3',
        '0',
      ]);
      expect(byName(GHOST.name)).to.deep.equal([GHOST.email, '1', '1', '5000', '1', '0', '1', '0']);
      expect(byName(leadAcme.name)).to.deep.equal([leadAcme.email, '0', '0', '', '0', '0', '0', '0']);
      expect(rows.at(-1)).to.deep.equal([
        t('en', 'operators.csv.unassigned'),
        '',
        '1',
        '1',
        '1800',
        '0',
        '1',
        '1',
        '0',
      ]);
      expect(res.text).to.not.include(nordOnly.name);

      const italian = await makeUser({ role: 'team_lead', tenantIds: [world.acme._id], locale: 'it' });
      const it = await (
        await signedInAgent(tp.url, italian.email)
      )
        .get(`/reports/operators/export.csv?${QUERY}`)
        .buffer(true)
        .expect(200);
      const itRows = parse(it.text, { delimiter: ';', bom: true }) as string[][];
      expect(itRows[0]?.[2]).to.equal(t('it', 'operators.csv.handled'));
      expect(itRows.find((r) => r[0] === world.users.operatorBoth.name)?.slice(2)).to.deep.equal([
        '4',
        '3',
        '21600',
        '3',
        '1',
        '2',
        '1',
      ]);
    });

    it('defaults to last month, and refuses a period that is not two dates in order', async () => {
      const res = await lead.get('/reports/operators').expect(200);
      expect(res.text).to.match(/data-testid="operators"/);
      await lead.get('/reports/operators?from=2025-03-17&to=2025-03-03').expect(422);
      await lead.get('/reports/operators/export.csv?from=nope&to=2025-03-03').expect(422);
    });

    it('is refused to operators, account managers and clients', async () => {
      for (const who of ['operatorAcme', 'accountManager', 'acmeAdmin', 'nordUser'] as const) {
        const agent = await signedInAgent(tp.url, world.users[who].email);
        await agent.get(`/reports/operators?${QUERY}`).expect(403);
        await agent.get(`/reports/operators/export.csv?${QUERY}`).expect(403);
      }
    });
  });
});
