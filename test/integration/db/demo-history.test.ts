import { expect } from 'chai';
import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { pino } from 'pino';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { KeyingBatch } from '../../../models/quality.js';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SlaEvent } from '../../../models/sla-event.js';
import { Tenant } from '../../../models/tenant.js';
import { Ticket, type TicketAttrs } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { User } from '../../../models/user.js';
import { systemCtx } from '../../../server/domain/context.js';
import { clientStatement } from '../../../server/domain/reports/statement.js';
import { operatorView } from '../../../server/domain/reports/operator-view.js';
import { portfolio } from '../../../server/domain/reports/portfolio.js';
import { businessSecondsBetween } from '../../../server/domain/sla/business-time.js';
import { dueEvents, nextDeadline, type SlaClock } from '../../../server/domain/sla/clock.js';
import { calendarOf } from '../../../server/domain/sla/contract-store.js';
import { sweepSla } from '../../../server/domain/sla/sweep.js';
import { NO_DEADLINE } from '../../../server/domain/sla/ticket-clock.js';
import { nextTicketNumber } from '../../../server/domain/tickets/numbering.js';
import { seedDemo } from '../../../server/seed/demo.js';
import { seedDemoHistory } from '../../../server/seed/demo-history.js';
import { demoTickets } from '../../../server/seed/demo-tickets.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { ctxOf } from '../../support/tickets.js';

type Stored = Omit<TicketAttrs, 'sla'> & { _id: Types.ObjectId; sla: SlaClock };

/**
 * The demo history (server/seed/demo-history.ts): months of past tickets per demo client whose
 * stored SLA clocks agree with the clock functions, written once, mailing nobody, and filling
 * the reports.
 */
describe('demo history', function () {
  this.timeout(120_000);
  const ctx = systemCtx(pino({ level: 'silent' }), 'seed');
  const now = new Date();
  const history = new Map<string, Stored[]>();
  let tenants: Array<{ _id: Types.ObjectId; code: string; timeZone: string }> = [];

  before(async () => {
    await connectTestDb('demo-history');
    await seedDemo(ctx);
    tenants = await Tenant.find({}).sort({ code: 1 }).lean();
    for (const tenant of tenants) {
      const demo = demoTickets[tenant.code]?.length ?? 0;
      // The demo e-invoices (server/seed/demo-einvoices.ts) come after the history: not part of it.
      const einvoices = await EInvoiceRecord.find({ tenantId: tenant._id }).select({ ticketId: 1 }).lean();
      // So do the demo keying batches (server/seed/demo-quality.ts).
      const batches = await KeyingBatch.find({ tenantId: tenant._id }).select({ ticketId: 1 }).lean();
      const rows = (await Ticket.find({
        tenantId: tenant._id,
        seq: { $gt: demo },
        _id: { $nin: [...einvoices.map((e) => e.ticketId), ...batches.map((b) => b.ticketId)] },
      })
        .sort({ seq: 1 })
        .lean()) as unknown as Stored[];
      history.set(tenant.code, rows);
    }
  });
  after(dropAndDisconnect);

  const of = (code: string): Stored[] => history.get(code) ?? [];

  it('gives each demo client months of tickets of every type, priority and channel, once', async () => {
    expect(tenants.map((t) => t.code)).to.deep.equal(['acme', 'nordhavn']);
    for (const tenant of tenants) {
      const rows = of(tenant.code);
      expect(rows.length, tenant.code).to.be.within(60, 150);
      expect(new Set(rows.map((t) => t.type))).to.have.keys('data_entry', 'complaint', 'invoice');
      expect(new Set(rows.map((t) => t.priority))).to.have.keys('low', 'normal', 'high', 'urgent');
      expect(new Set(rows.map((t) => t.channel))).to.have.keys('portal', 'api', 'email', 'import');
      const statuses = rows.map((t) => t.status);
      expect(
        statuses.filter((s) => s === 'resolved' || s === 'closed').length / rows.length,
      ).to.be.greaterThan(0.7);
      expect(statuses).to.include('closed');
      expect(
        statuses.some((s) => s === 'open' || s === 'pending' || s === 'new'),
        'some still open',
      ).to.equal(true);
      // Spread over the two previous calendar months and this one so far (maybe nothing yet on
      // its first day), in the client's time zone.
      const month = DateTime.fromJSDate(now, { zone: tenant.timeZone }).startOf('month');
      const starts = [month.minus({ months: 2 }), month.minus({ months: 1 }), month].map((m) => m.toJSDate());
      for (const t of rows)
        expect(t.createdAt >= (starts[0] as Date) && t.createdAt <= now, t.number).to.equal(true);
      expect(rows.some((t) => t.createdAt < (starts[1] as Date))).to.equal(true);
      expect(
        rows.some((t) => t.createdAt >= (starts[1] as Date) && t.createdAt < (starts[2] as Date)),
      ).to.equal(true);
    }

    const count = await Ticket.countDocuments({}).setOptions({ allTenants: true });
    const entries = await TimelineEntry.countDocuments({}).setOptions({ allTenants: true });
    await seedDemo(ctx);
    expect(await Ticket.countDocuments({}).setOptions({ allTenants: true })).to.equal(count);
    expect(await TimelineEntry.countDocuments({}).setOptions({ allTenants: true })).to.equal(entries);
  });

  it('numbers the history from the tenant counter, so later tickets continue after it', async () => {
    for (const tenant of tenants) {
      const seqs = (await Ticket.find({ tenantId: tenant._id }).select({ seq: 1 }).lean())
        .map((t) => t.seq)
        .sort((a, b) => a - b);
      expect(seqs).to.deep.equal(seqs.map((_, i) => i + 1));
      const next = await nextTicketNumber(String(tenant._id), tenant.code);
      expect(next.seq).to.equal(seqs.length + 1);
    }
  });

  it('stores SLA clocks that agree with the clock functions and the tenant calendar', async () => {
    for (const tenant of tenants) {
      const calendar = await calendarOf(String(tenant._id));
      if (!calendar) throw new Error('no calendar');
      const events = await SlaEvent.find({ tenantId: tenant._id }).lean();
      let breachedFirst = 0;
      let breachedResolution = 0;
      for (const t of of(tenant.code)) {
        const { sla } = t;
        expect(sla.startedAt.getTime(), t.number).to.equal(t.createdAt.getTime());
        // What the sweep would record now is recorded already.
        expect(dueEvents(calendar, sla, now), t.number).to.deep.equal([]);
        expect(t.dueSortAt.getTime()).to.equal((nextDeadline(sla) ?? NO_DEADLINE).getTime());
        if (t.firstResponseAt) {
          expect(sla.firstResponse.metAt?.getTime()).to.equal(t.firstResponseAt.getTime());
          expect(sla.firstResponse.businessSeconds).to.equal(
            businessSecondsBetween(calendar, t.createdAt, t.firstResponseAt),
          );
        }
        if (t.status === 'resolved' || t.status === 'closed') {
          expect(sla.resolution.metAt?.getTime(), t.number).to.equal(t.resolvedAt?.getTime());
          if (sla.pauses === 1) {
            expect(sla.resolution.businessSeconds).to.equal(
              businessSecondsBetween(calendar, t.createdAt, t.resolvedAt as Date),
            );
          }
        }
        for (const target of ['firstResponse', 'resolution'] as const) {
          const c = sla[target];
          const late = c.metAt
            ? c.metAt > c.dueAt
            : c.dueAt <= now && !(target === 'resolution' && sla.pausedSince && sla.pausedSince <= c.dueAt);
          expect(c.breachedAt !== null, `${t.number} ${target}`).to.equal(late);
          if (c.breachedAt && target === 'firstResponse') breachedFirst++;
          if (c.breachedAt && target === 'resolution') breachedResolution++;
        }
        // One event row per warning and breach on the clock.
        const mine = events.filter((e) => e.ticketId.equals(t._id));
        const onClock = ['firstResponse', 'resolution'].flatMap((target) => {
          const c = sla[target as 'firstResponse'];
          return [
            ...c.warned.map((p) => `${target}:warning:${p}`),
            ...(c.breachedAt ? [`${target}:breach:100`] : []),
          ];
        });
        expect(mine.map((e) => `${e.target}:${e.kind}:${e.threshold}`).sort(), t.number).to.deep.equal(
          onClock.sort(),
        );
      }
      expect(breachedFirst, `${tenant.code} late first responses`).to.be.greaterThan(0);
      expect(breachedResolution, `${tenant.code} late resolutions`).to.be.greaterThan(0);
    }
  });

  it('writes the timeline a real ticket has, and hands work only to staff serving the client', async () => {
    const staff = await User.find({ tenantId: null }).lean();
    const serves = new Map(staff.map((u) => [String(u._id), u.tenantIds.map(String)]));
    const sara = staff.find((u) => u.email === 'sara@desk.example');
    for (const tenant of tenants) {
      const rows = of(tenant.code);
      const entries = await TimelineEntry.find({ tenantId: tenant._id }).lean();
      for (const t of rows) {
        const mine = entries.filter((e) => e.ticketId.equals(t._id));
        const created = mine.filter((e) => e.kind === 'created');
        expect(
          created.map((e) => e.at.getTime()),
          t.number,
        ).to.deep.equal([t.createdAt.getTime()]);
        if (t.firstResponseAt) {
          const reply = mine.find(
            (e) => e.kind === 'reply' && e.at.getTime() === t.firstResponseAt?.getTime(),
          );
          expect(reply?.visibility, t.number).to.equal('public');
          expect(reply?.author?.kind).to.equal('staff');
        }
        if (t.resolvedAt) {
          const resolved = mine.filter(
            (e) => e.kind === 'status' && (e.data as { to?: string }).to === 'resolved',
          );
          expect(resolved.map((e) => e.at.getTime())).to.include(t.resolvedAt.getTime());
        }
        if (t.assignee?.id) {
          expect(serves.get(String(t.assignee.id)), t.number).to.include(String(tenant._id));
          expect(mine.some((e) => e.kind === 'assignment')).to.equal(true);
        }
      }
      const saraHolds = rows.filter((t) => String(t.assignee?.id) === String(sara?._id)).length;
      if (tenant.code === 'acme') expect(saraHolds).to.be.greaterThan(0);
      else expect(saraHolds).to.equal(0);
    }
  });

  it('mails nobody about the history, also after the first sweep', async () => {
    const ids = new Set([...history.values()].flat().map((t) => String(t._id)));
    await sweepSla(ctx);
    const keys = (await OutboxMail.find({}).setOptions({ allTenants: true }).select({ key: 1 }).lean()).map(
      (m) => m.key,
    );
    expect(keys.length).to.be.greaterThan(0); // the demo tickets' own mail
    expect(keys.filter((key) => ids.has(key.split(':')[1] ?? ''))).to.deep.equal([]);
  });

  it('fills last month of the reports, the operator view and the statements, each client its own', async () => {
    const person = async (email: string) => {
      const user = await User.findOne({ email }).setOptions({ allTenants: true });
      if (!user) throw new Error(email);
      return ctxOf(user, user.tenantId ? await Tenant.findById(user.tenantId) : null);
    };
    const anna = await person('anna@desk.example');
    const rows = await portfolio(anna, now);
    expect(rows.map((r) => r.tenant.code)).to.deep.equal(['acme', 'nordhavn']);
    for (const row of rows) {
      expect(row.firstResponse.measured, row.tenant.code).to.be.greaterThan(10);
      expect(row.resolution.measured).to.be.greaterThan(10);
      expect(row.combined.pct).to.be.a('number');
    }
    const view = await operatorView(await person('lead@desk.example'), 'Europe/Rome', {}, now);
    for (const email of ['marco@desk.example', 'sara@desk.example', 'lead@desk.example']) {
      expect(view.rows.find((r) => r.operator?.email === email)?.handled, email).to.be.greaterThan(0);
    }
    const [acme, nordhavn] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const acmeStatement = await clientStatement(anna, String(acme._id), {}, now);
    expect(acmeStatement.records.batches).to.be.greaterThan(0);
    expect(acmeStatement.records.completed).to.be.greaterThan(0);
    expect(acmeStatement.invoices.amounts.map((a) => a.currency)).to.include('EUR');
    expect(acmeStatement.invoices.outcomes.find((o) => o.outcome === 'approved')?.count).to.be.greaterThan(0);
    const nordhavnStatement = await clientStatement(anna, String(nordhavn._id), {}, now);
    expect(nordhavnStatement.invoices.amounts.map((a) => a.currency)).to.include('DKK');
    // A client admin sees their own company only.
    const own = await portfolio(await person('admin@acme.example'), now);
    expect(own.map((r) => r.tenant.code)).to.deep.equal(['acme']);
  });

  it('draws the same history again for the same instant (the last test: it replaces acme history)', async () => {
    const acme = tenants[0] as (typeof tenants)[0];
    const demo = demoTickets.acme?.length ?? 0;
    const at = new Date('2027-03-17T10:30:00Z');
    const replace = async () => {
      const old = await Ticket.find({ tenantId: acme._id, seq: { $gt: demo } })
        .select({ _id: 1 })
        .lean();
      const ticketId = { $in: old.map((t) => t._id) };
      await Promise.all([
        Ticket.deleteMany({ tenantId: acme._id, _id: ticketId }),
        TimelineEntry.deleteMany({ tenantId: acme._id, ticketId }),
        SlaEvent.deleteMany({ tenantId: acme._id, ticketId }),
        InvoiceKey.deleteMany({ tenantId: acme._id, ticketId }),
      ]);
      await seedDemoHistory(ctx, acme, at);
      const rows = await Ticket.find({ tenantId: acme._id, seq: { $gt: demo } })
        .sort({ seq: 1 })
        .lean();
      return rows.map((t) =>
        JSON.stringify([t.subject, t.createdAt, t.status, t.priority, t.assignee?.email, t.fields, t.sla]),
      );
    };
    const first = await replace();
    expect(first.length).to.be.within(60, 150);
    expect(await replace()).to.deep.equal(first);
  });
});
