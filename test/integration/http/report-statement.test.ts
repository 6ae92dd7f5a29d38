import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Types } from 'mongoose';
import { Ticket } from '../../../models/ticket.js';
import { clientStatement } from '../../../server/domain/reports/statement.js';
import { t } from '../../../server/i18n/i18n.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/**
 * The monthly client statement over hand-set tickets of Acme (Europe/Rome, UTC+1 in March 2025
 * until the 30th, UTC+2 after), month 2025-03. Expected figures are worked out in the comments.
 */

/** Local Rome time as an instant; month is 1-based here. */
const rome = (month: number, day: number, hour = 10, minute = 0): Date => {
  const offset = month > 3 || (month === 3 && day >= 31) ? 2 : 1;
  return new Date(Date.UTC(2025, month - 1, day, hour - offset, minute));
};

interface Spec {
  key: string;
  type: 'data_entry' | 'complaint' | 'invoice';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  status: 'new' | 'open' | 'resolved' | 'closed';
  createdAt: Date;
  resolvedAt?: Date;
  fields?: Record<string, unknown>;
}

const specs: Spec[] = [
  // Data entry. Resolved in March: S1 S2 -> 2 batches, expected 150, completed 148, errors 2.
  {
    key: 'S1',
    type: 'data_entry',
    priority: 'normal',
    status: 'resolved',
    createdAt: rome(3, 2),
    resolvedAt: rome(3, 5),
    fields: { expectedRecordCount: 100, recordsCompleted: 98, errorCount: 2 },
  },
  {
    key: 'S2',
    type: 'data_entry',
    priority: 'high',
    status: 'closed',
    createdAt: rome(2, 20),
    resolvedAt: rome(3, 10),
    fields: { expectedRecordCount: 50, recordsCompleted: 50, errorCount: 0 },
  },
  {
    key: 'S3',
    type: 'data_entry',
    priority: 'normal',
    status: 'open',
    createdAt: rome(3, 20),
    fields: { expectedRecordCount: 70, recordsCompleted: 0, errorCount: 0 },
  },
  // Opened 1 March 00:30 in Rome (28 February in UTC): March. Resolved 1 April 00:30 in Rome (31 March in UTC): not March.
  {
    key: 'S4',
    type: 'data_entry',
    priority: 'low',
    status: 'resolved',
    createdAt: rome(3, 1, 0, 30),
    resolvedAt: rome(4, 1, 0, 30),
    fields: { expectedRecordCount: 10, recordsCompleted: 10, errorCount: 0 },
  },
  // Resolved in March, reopened since: opened in March, not resolved, its records not billed yet.
  {
    key: 'S5',
    type: 'data_entry',
    priority: 'normal',
    status: 'open',
    createdAt: rome(3, 3),
    resolvedAt: rome(3, 8),
    fields: { expectedRecordCount: 30, recordsCompleted: 30, errorCount: 1 },
  },
  // Invoices. Resolved in March: S6 S7 S8 S9 S10 -> approved 2, rejected 1, on hold 1, none 1;
  // EUR 1250.40 + 99.99 + 0.20 = 1350.59 over 3, DKK 500 over 1; S10 has no amount.
  {
    key: 'S6',
    type: 'invoice',
    priority: 'normal',
    status: 'resolved',
    createdAt: rome(3, 4),
    resolvedAt: rome(3, 6),
    fields: { approvalOutcome: 'approved', amount: 1250.4, currency: 'EUR' },
  },
  {
    key: 'S7',
    type: 'invoice',
    priority: 'urgent',
    status: 'closed',
    createdAt: rome(3, 5),
    resolvedAt: rome(3, 7),
    fields: { approvalOutcome: 'rejected', amount: 99.99, currency: 'EUR' },
  },
  {
    key: 'S8',
    type: 'invoice',
    priority: 'normal',
    status: 'resolved',
    createdAt: rome(2, 25),
    resolvedAt: rome(3, 12),
    fields: { approvalOutcome: 'approved', amount: 500, currency: 'DKK' },
  },
  {
    key: 'S9',
    type: 'invoice',
    priority: 'normal',
    status: 'resolved',
    createdAt: rome(3, 15),
    resolvedAt: rome(3, 16),
    fields: { approvalOutcome: 'on_hold', amount: 0.2, currency: 'EUR' },
  },
  {
    key: 'S10',
    type: 'invoice',
    priority: 'high',
    status: 'resolved',
    createdAt: rome(3, 20),
    resolvedAt: rome(3, 21),
    fields: {},
  },
  {
    key: 'S11',
    type: 'invoice',
    priority: 'normal',
    status: 'open',
    createdAt: rome(3, 25),
    fields: { amount: 7, currency: 'EUR' },
  },
  // Complaints.
  {
    key: 'S12',
    type: 'complaint',
    priority: 'normal',
    status: 'resolved',
    createdAt: rome(3, 10),
    resolvedAt: rome(3, 11),
  },
  {
    key: 'S13',
    type: 'complaint',
    priority: 'urgent',
    status: 'closed',
    createdAt: rome(1, 5),
    resolvedAt: rome(2, 2),
  },
];
// Opened in March: S1 S3 S4 S5 S6 S7 S9 S10 S11 S12 = 10. Resolved: S1 S2 S6 S7 S8 S9 S10 S12 = 8.

/** Cells of the `<tr data-key="...">` row of a table in the page, as text. */
const cells = (html: string, table: string, key: string): string[] => {
  const section = new RegExp(`data-testid="${table}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
  const row = new RegExp(`<tr[^>]*data-key="${key}"[^>]*>([\\s\\S]*?)</tr>`).exec(section)?.[1];
  if (row === undefined) throw new Error(`no row ${key} in ${table}`);
  return [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => textOf(m[1] ?? ''));
};

const OPERATOR_NAME = 'Ottavio Operatore';
const MONTH = 'month=2025-03';

function ticketDoc(tenant: { _id: Types.ObjectId; code: string }, s: Spec, seq: number) {
  return {
    tenantId: tenant._id,
    number: `${tenant.code.toUpperCase()}-${s.key}`,
    seq,
    type: s.type,
    subject: `Statement fixture ${s.key}`,
    description: '',
    priority: s.priority,
    priorityRank: 2,
    status: s.status,
    channel: 'portal',
    requester: { id: null, name: 'Client Person', email: 'client@example.test' },
    assignee: { id: null, name: OPERATOR_NAME, email: 'ottavio@example.test' },
    sla: null,
    tags: [],
    fields: s.fields ?? {},
    searchText: '',
    version: 1,
    resolvedAt: s.resolvedAt ?? null,
    closedAt: s.status === 'closed' ? (s.resolvedAt ?? null) : null,
    reopenedAt: s.status === 'open' && s.resolvedAt ? new Date(s.resolvedAt.getTime() + 3_600_000) : null,
    createdAt: s.createdAt,
    updatedAt: s.createdAt,
    lastActivityAt: s.createdAt,
  };
}

describe('monthly client statement (reports.statement)', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acmeId: string;
  let nordId: string;
  let manager: Agent;

  before(async () => {
    tp = await startTestPortal('report-statement');
    world = await makeWorld();
    acmeId = String(world.acme._id);
    nordId = String(world.nord._id);
    await Ticket.collection.insertMany(specs.map((s, i) => ticketDoc(world.acme, s, i + 1)));
    // Nordhavn keys a big batch and approves an invoice in the same month: never Acme's.
    await Ticket.collection.insertMany([
      ticketDoc(
        world.nord,
        {
          key: 'N1',
          type: 'data_entry',
          priority: 'normal',
          status: 'resolved',
          createdAt: rome(3, 2),
          resolvedAt: rome(3, 5),
          fields: { expectedRecordCount: 1000, recordsCompleted: 1000, errorCount: 9 },
        },
        1,
      ),
      ticketDoc(
        world.nord,
        {
          key: 'N2',
          type: 'invoice',
          priority: 'normal',
          status: 'resolved',
          createdAt: rome(3, 2),
          resolvedAt: rome(3, 5),
          fields: { approvalOutcome: 'approved', amount: 42, currency: 'EUR' },
        },
        2,
      ),
    ]);
    manager = await signedInAgent(tp.url, world.users.accountManager.email);
  });
  after(() => tp?.stop());

  describe('the statement (domain)', () => {
    it('counts volumes, records keyed and invoices processed of the month, in the client time zone', async () => {
      const s = await clientStatement(ctxOf(world.users.accountManager, null), acmeId, { month: '2025-03' });
      expect(s.month).to.include({ fromDate: '2025-03-01', toDate: '2025-04-01', key: '2025-03' });
      expect(s.month.from.toISOString()).to.equal('2025-02-28T23:00:00.000Z');
      expect(s.totals).to.deep.equal({ opened: 10, resolved: 8 });
      const v = (dimension: string, key: string) => {
        const r = s.volumes.find((x) => x.dimension === dimension && x.key === key);
        return [r?.opened, r?.resolved];
      };
      // data entry: opened S1 S3 S4 S5, resolved S1 S2; complaint S12 / S12; invoice S6 S7 S9 S10 S11 / S6-S10.
      expect(v('type', 'data_entry')).to.deep.equal([4, 2]);
      expect(v('type', 'complaint')).to.deep.equal([1, 1]);
      expect(v('type', 'invoice')).to.deep.equal([5, 5]);
      // low: S4 / -; normal: S1 S3 S5 S6 S9 S11 S12 / S1 S6 S8 S9 S12; high: S10 / S2 S10; urgent: S7 / S7.
      expect(v('priority', 'low')).to.deep.equal([1, 0]);
      expect(v('priority', 'normal')).to.deep.equal([7, 5]);
      expect(v('priority', 'high')).to.deep.equal([1, 2]);
      expect(v('priority', 'urgent')).to.deep.equal([1, 1]);
      expect(s.volumes).to.have.length(3 + 4);
      expect(s.records).to.deep.equal({ batches: 2, expected: 150, completed: 148, errors: 2 });
      expect(s.invoices.processed).to.equal(5);
      expect(s.invoices.outcomes).to.deep.equal([
        { outcome: 'approved', count: 2 },
        { outcome: 'rejected', count: 1 },
        { outcome: 'on_hold', count: 1 },
        { outcome: 'none', count: 1 },
      ]);
      expect(s.invoices.amounts).to.deep.equal([
        { currency: 'DKK', count: 1, amount: 500 },
        { currency: 'EUR', count: 3, amount: 1350.59 },
      ]);
    });

    it("defaults to last month in the client's time zone, and the next month moves S4 in", async () => {
      const april = await clientStatement(
        ctxOf(world.users.accountManager, null),
        acmeId,
        {},
        new Date('2025-05-03T10:00:00Z'),
      );
      expect(april.month).to.include({ key: '2025-04', fromDate: '2025-04-01', toDate: '2025-05-01' });
      expect(april.totals).to.deep.equal({ opened: 0, resolved: 1 });
      expect(april.records).to.deep.equal({ batches: 1, expected: 10, completed: 10, errors: 0 });
      const nord = await clientStatement(ctxOf(world.users.nordAdmin, world.nord), nordId, {
        month: '2025-03',
      });
      expect(nord.records).to.deep.equal({ batches: 1, expected: 1000, completed: 1000, errors: 9 });
      expect(nord.invoices.amounts).to.deep.equal([{ currency: 'EUR', count: 1, amount: 42 }]);
    });

    it('refuses a malformed month, a foreign client and people without the permission', async () => {
      const ctx = ctxOf(world.users.accountManager, null);
      for (const month of ['2025-13', '2025-3', 'March', '2025-03-01'])
        expect(
          ((await clientStatement(ctx, acmeId, { month }).catch((e: unknown) => e)) as { code?: string })
            .code,
          month,
        ).to.equal('validation');
      const foreign = await clientStatement(ctxOf(world.users.nordAdmin, world.nord), acmeId, {
        month: '2025-03',
      }).catch((e: unknown) => e);
      expect((foreign as { code?: string }).code).to.equal('not_found');
      const lead = await clientStatement(ctxOf(world.users.teamLead, null), acmeId, {
        month: '2025-03',
      }).catch((e: unknown) => e);
      expect((lead as { code?: string }).code).to.equal('forbidden');
    });
  });

  describe('the pages and the CSV', () => {
    it('renders the statement tables, readable without JS', async () => {
      const res = await manager.get(`/reports/${acmeId}/statement?${MONTH}`).expect(200);
      expect(textOf(res.text)).to.include('March 2025');
      expect(cells(res.text, 'volumes-type', 'invoice').slice(1)).to.deep.equal(['5', '5']);
      expect(cells(res.text, 'volumes-priority', 'normal').slice(1)).to.deep.equal(['7', '5']);
      expect(cells(res.text, 'records', 'records')).to.deep.equal(['2', '150', '148', '2']);
      expect(cells(res.text, 'outcomes', 'none')).to.deep.equal([t('en', 'statement.outcomes.none'), '1']);
      expect(cells(res.text, 'amounts', 'EUR')).to.deep.equal(['EUR', '3', '€1,350.59']);
      expect(decodeHtml(res.text)).to.include(`/reports/${acmeId}/statement/export/amounts.csv?${MONTH}`);
    });

    it('exports every table as CSV that parses back to the same figures', async () => {
      const get = async (table: string, agent = manager, delimiter = ',') => {
        const res = await agent
          .get(`/reports/${acmeId}/statement/export/${table}.csv?${MONTH}`)
          .buffer(true)
          .expect(200);
        expect(res.headers['content-type']).to.match(/^text\/csv; charset=utf-8/);
        expect(res.headers['content-disposition']).to.equal(
          `attachment; filename="statement-${world.acme.code}-2025-03-${table}.csv"`,
        );
        expect(res.text.charCodeAt(0)).to.equal(0xfeff);
        return parse(res.text, { delimiter, bom: true }) as string[][];
      };
      const volumes = await get('volumes');
      expect(volumes[0]).to.deep.equal(['By', 'Group', 'Opened', 'Resolved']);
      expect(volumes.slice(1).map((r) => r.slice(2).map(Number))).to.deep.equal([
        [4, 2],
        [1, 1],
        [5, 5],
        [1, 0],
        [7, 5],
        [1, 2],
        [1, 1],
      ]);
      expect(await get('records')).to.deep.equal([
        [
          t('en', 'statement.csv.batches'),
          t('en', 'statement.csv.expected'),
          t('en', 'statement.csv.completed'),
          t('en', 'statement.csv.errors'),
        ],
        ['2', '150', '148', '2'],
      ]);
      expect((await get('outcomes')).slice(1)).to.deep.equal([
        ['Approved', '2'],
        ['Rejected', '1'],
        ['On hold', '1'],
        [t('en', 'statement.outcomes.none'), '1'],
      ]);
      expect((await get('amounts')).slice(1)).to.deep.equal([
        ['DKK', '1', '500'],
        ['EUR', '3', '1350.59'],
      ]);
      // A client admin reads their own, in their language (Italian: semicolons).
      const acmeAdmin = await makeUser({ role: 'client_admin', tenantId: world.acme._id, locale: 'it' });
      const italian = await get('outcomes', await signedInAgent(tp.url, acmeAdmin.email), ';');
      expect(italian[1]).to.deep.equal([t('it', 'statement.outcomes.approved'), '2']);
    });

    it("leads a client admin to their own company's statement, which names no operator", async () => {
      const admin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const index = await admin.get('/reports/statements').expect(302);
      expect(index.headers.location).to.equal(`/reports/${acmeId}/statement`);
      const page = await admin.get(`/reports/${acmeId}/statement?${MONTH}`).expect(200);
      expect(textOf(page.text)).to.include(world.acme.legalName);
      expect(page.text).to.not.include(OPERATOR_NAME);
      for (const table of ['volumes', 'records', 'outcomes', 'amounts']) {
        const csv = await admin.get(`/reports/${acmeId}/statement/export/${table}.csv?${MONTH}`).expect(200);
        expect(csv.text).to.not.include(OPERATOR_NAME);
      }
      const staff = await manager.get('/reports/statements').expect(200);
      expect(textOf(staff.text)).to.include(world.acme.legalName).and.include(world.nord.legalName);
      expect(staff.text).to.include(`/reports/${nordId}/statement`);
    });

    it('refuses a malformed month', async () => {
      await manager.get(`/reports/${acmeId}/statement?month=2025-3`).expect(422);
      await manager.get(`/reports/${acmeId}/statement/export/volumes.csv?month=x`).expect(422);
    });
  });

  describe('tenant isolation', () => {
    it("keeps Nordhavn's client admin out of Acme's statement and its exports", async () => {
      const nord = await signedInAgent(tp.url, world.users.nordAdmin.email);
      const res = await nord.get(`/reports/${acmeId}/statement?${MONTH}`).expect(404);
      expect(textOf(res.text)).to.not.include(world.acme.legalName);
      for (const table of ['volumes', 'records', 'outcomes', 'amounts'])
        await nord.get(`/reports/${acmeId}/statement/export/${table}.csv?${MONTH}`).expect(404);
      const own = await nord.get(`/reports/${nordId}/statement?${MONTH}`).expect(200);
      // Nordhavn's own figures only: 1 batch of 1000 records, EUR 42.
      expect(cells(own.text, 'records', 'records')).to.deep.equal(['1', '1.000', '1.000', '9']);
      expect(textOf(own.text)).to.not.include(world.acme.legalName);
    });

    it('gives an account manager not serving a client 404, and people without statements 403', async () => {
      const nordOnly = await makeUser({ role: 'account_manager', tenantIds: [world.nord._id] });
      const agent = await signedInAgent(tp.url, nordOnly.email);
      await agent.get(`/reports/${acmeId}/statement`).expect(404);
      await agent.get(`/reports/${acmeId}/statement/export/amounts.csv`).expect(404);
      const list = await agent.get('/reports/statements').expect(200);
      expect(textOf(list.text)).to.not.include(world.acme.legalName);
      for (const who of ['teamLead', 'operatorAcme', 'acmeUser'] as const) {
        const other = await signedInAgent(tp.url, world.users[who].email);
        await other.get(`/reports/${acmeId}/statement`).expect(403);
        await other.get(`/reports/${acmeId}/statement/export/volumes.csv`).expect(403);
        await other.get('/reports/statements').expect(403);
      }
    });
  });
});
