import { Types, type PipelineStage } from 'mongoose';
import type { QueueOrder } from '../../../models/queue.js';
import { Tenant } from '../../../models/tenant.js';
import { Ticket } from '../../../models/ticket.js';
import { requirePermission } from '../auth/policy.js';
import { stateOf, type SlaClock } from '../sla/clock.js';
import { slaBrief, type SlaBrief } from '../sla/view.js';
import type { Ctx } from '../context.js';
import type { TicketRow } from '../events.js';
import { scopeFilter } from '../tenants/scope.js';
import { BREACHING_SOON_MS, queueFilter, sortOf, workableStatuses } from './filter.js';
import { viewFilter, viewSort, type QueueViewChoice } from './save-queue-view.js';
import { getQueue, listQueues } from './queues.js';
import { rowPlaces } from './row-place.js';

/** Rows shown on a queue page; bounded, since every unindexed query is a scan on the engine. */
export const QUEUE_PAGE = 200;
export { BREACHING_SOON_MS };

const summaryFields = {
  number: 1,
  tenantId: 1,
  subject: 1,
  type: 1,
  priority: 1,
  status: 1,
  assignee: 1,
  requester: 1,
  tags: 1,
  createdAt: 1,
  dueSortAt: 1,
  version: 1,
  sla: 1,
  priorityRank: 1,
  duplicateOf: 1,
} as const;

export interface TicketSummary {
  id: string;
  number: string;
  tenantId: string;
  tenantCode: string;
  subject: string;
  type: string;
  priority: string;
  status: string;
  tags: string[];
  assignee: { id: string; name: string } | null;
  requester: string;
  createdAt: string;
  /** The next SLA deadline, when the SLA engine has set one. */
  dueAt: string | null;
  /** ok, warning, breached, paused, met; null without an SLA contract. */
  slaState: string | null;
  /** State and business time left on the next deadline, as of `slaAt` (sla/view.ts SlaBrief). */
  sla: SlaBrief | null;
  slaAt: string;
  version: number;
  /** A possible duplicate: the number of the earlier ticket for the same invoice. */
  duplicateOf: string | null;
  /** The queues whose filter this ticket passes now (ids): a queue page keeps its row or drops it. */
  queueIds: string[];
  /** Per queue order, the key the server sorts by: a queue page places the row by it. */
  sortKeys: Record<QueueOrder, string>;
}

const FAR_FUTURE = Date.UTC(9000, 0, 1);
const emptyKeys: Record<QueueOrder, string> = { sla: '', priority: '', oldest: '', newest: '' };
let codes: { at: number; map: Map<string, string> } | null = null;
let refreshing: Promise<Map<string, string>> | null = null;

function readCodes(): Promise<Map<string, string>> {
  refreshing ??= (async () => {
    try {
      const tenants = await Tenant.find({}).select({ code: 1 }).lean();
      codes = { at: Date.now(), map: new Map(tenants.map((t) => [String(t._id), t.code])) };
      return codes.map;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Tenant codes (they never change once given) for queue rows and live events: an old list is
 * served while a fresh one is read in the background, so no event waits for the read; only an
 * unknown tenant (a new client) waits for it.
 */
async function tenantCodes(tenantIds: string[]): Promise<Map<string, string>> {
  if (!codes) return readCodes();
  if (tenantIds.some((id) => !codes?.map.has(id))) return readCodes();
  if (Date.now() - codes.at >= 30_000) readCodes().catch(() => undefined);
  return codes.map;
}

/** The ticket row the bus carries, plus what a queue read adds (the clock and the sort rank). */
type SummarySource = TicketRow & { sla?: unknown; priorityRank?: number | null };

/** What queue pages and sockets show of a ticket: no description, no internal data. */
export async function toSummaries(rows: SummarySource[], now = new Date()): Promise<TicketSummary[]> {
  const map = await tenantCodes(rows.map((r) => String(r.tenantId)));
  const [briefs, places] = await Promise.all([
    Promise.all(rows.map((r) => slaBrief(r, now))),
    rowPlaces(rows),
  ]);
  return rows.map((t, i) => ({
    id: String(t._id),
    number: t.number,
    tenantId: String(t.tenantId),
    tenantCode: map.get(String(t.tenantId)) ?? '',
    subject: t.subject,
    type: t.type,
    priority: t.priority,
    status: t.status,
    tags: t.tags ?? [],
    assignee: t.assignee?.id ? { id: String(t.assignee.id), name: t.assignee.name ?? '' } : null,
    requester: t.requester?.name ?? '',
    createdAt: (t.createdAt ?? new Date()).toISOString(),
    dueAt: t.dueSortAt && t.dueSortAt.getTime() < FAR_FUTURE ? t.dueSortAt.toISOString() : null,
    slaState: briefs[i]?.state ?? stateOf(t.sla as SlaClock | null | undefined),
    sla: briefs[i] ?? null,
    slaAt: now.toISOString(),
    version: t.version,
    duplicateOf: t.duplicateOf?.number ?? null,
    queueIds: places[i]?.queueIds ?? [],
    sortKeys: places[i]?.sortKeys ?? emptyKeys,
  }));
}

/**
 * A queue's first page, in the queue's order or, with a person's view (save-queue-view.ts), in
 * the order and with the filters they chose. "Mine" and "anyone's" widen the queue from its
 * unassigned tickets; everything else only narrows it.
 */
export async function queueTickets(ctx: Ctx, queueId: string, view?: QueueViewChoice) {
  requirePermission(ctx, 'queues.work');
  const queue = await getQueue(ctx, queueId);
  const base = queueFilter(ctx, queue, { unassignedOnly: !view || view.assignee === 'unassigned' });
  const extra = view ? viewFilter(ctx, view) : {};
  const filter = Object.keys(extra).length ? { $and: [base, extra] } : base;
  const rows = await Ticket.find(filter)
    .sort((view && viewSort(view)) ?? sortOf[queue.order])
    .limit(QUEUE_PAGE)
    .select(summaryFields)
    .lean();
  return { queue, tickets: await toSummaries(rows as SummarySource[]) };
}

/**
 * The given tickets that are in the queue for the caller now (its filter narrowed to the
 * caller's tenants), for a queue page to redraw the rows a push named. Those not returned left.
 */
export async function queueRows(ctx: Ctx, queueId: string, ticketIds: string[]) {
  requirePermission(ctx, 'queues.work');
  const queue = await getQueue(ctx, queueId);
  const ids = ticketIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
  const rows = ids.length
    ? await Ticket.find({ $and: [queueFilter(ctx, queue), { _id: { $in: ids } }] })
        .sort(sortOf[queue.order])
        .select(summaryFields)
        .lean()
    : [];
  return { queue, tickets: await toSummaries(rows as SummarySource[]) };
}

const activeStatuses = ['new', 'open', 'pending'];

/** The fields the queue filters and counts test: what the one pass below keeps of each ticket. */
const filterFields = {
  tenantId: 1,
  status: 1,
  assignee: 1,
  type: 1,
  priority: 1,
  tags: 1,
  dueSortAt: 1,
} as const;

const mineFilter = (ctx: Ctx) =>
  ctx.actor.kind === 'user' ? { 'assignee.id': new Types.ObjectId(ctx.actor.userId) } : { _id: null };
const soonFilter = (now: Date) => ({
  assignee: null,
  status: { $in: [...workableStatuses] },
  dueSortAt: { $lte: new Date(now.getTime() + BREACHING_SOON_MS) },
});
const rowsOf = (filter: Record<string, unknown>): PipelineStage.FacetPipelineStage[] => [
  { $match: filter },
  { $sort: sortOf.sla },
  { $limit: QUEUE_PAGE },
  { $project: summaryFields },
];

export interface QueueOverview {
  counts: { queues: Array<{ id: string; name: string; count: number }>; mine: number; breachingSoon: number };
  /** Active tickets assigned to me, most urgent first; unassigned work due within a few hours. */
  mine: TicketSummary[];
  soon: TicketSummary[];
}

/**
 * How many tickets wait in each of my queues, plus mine and breaching-soon, and (with `rows`)
 * the first rows of those two lists: one aggregation, so one pass over the tickets on the engine
 * (where every one of these filters is a scan) instead of one per queue and list. The first stage
 * keeps the caller's active tickets; the rest runs on those, in memory, inside the database.
 */
export async function queueOverview(
  ctx: Ctx,
  now = new Date(),
  options: { rows?: boolean } = { rows: true },
): Promise<QueueOverview> {
  requirePermission(ctx, 'queues.work');
  const queues = await listQueues(ctx);
  const count = (filter: Record<string, unknown>): PipelineStage.FacetPipelineStage[] => [
    { $match: filter },
    { $count: 'n' },
  ];
  const facets: Record<string, PipelineStage.FacetPipelineStage[]> = {
    mine: count(mineFilter(ctx)),
    soon: count(soonFilter(now)),
  };
  queues.forEach((q, i) => (facets[`q${i}`] = count(queueFilter(ctx, q))));
  if (options.rows !== false)
    Object.assign(facets, { mineRows: rowsOf(mineFilter(ctx)), soonRows: rowsOf(soonFilter(now)) });
  const [result] = await Ticket.aggregate<Record<string, Array<{ n?: number }>>>([
    { $match: { ...scopeFilter(ctx), status: { $in: activeStatuses } } },
    { $project: options.rows !== false ? { ...filterFields, ...summaryFields } : filterFields },
    { $facet: facets },
  ]);
  const n = (key: string): number => result?.[key]?.[0]?.n ?? 0;
  return {
    counts: {
      queues: queues.map((q, i) => ({ id: String(q._id), name: q.name, count: n(`q${i}`) })),
      mine: n('mine'),
      breachingSoon: n('soon'),
    },
    mine: await toSummaries((result?.mineRows ?? []) as unknown as SummarySource[]),
    soon: await toSummaries((result?.soonRows ?? []) as unknown as SummarySource[]),
  };
}

/** How many tickets wait in each of my queues, plus mine and breaching-soon. */
export async function queueCounts(ctx: Ctx, now = new Date()) {
  return (await queueOverview(ctx, now, { rows: false })).counts;
}

/**
 * One ticket's summary after a domain event, for the real-time layer. There is no caller to
 * scope by: the event names the tenant, and the adapter sends the result only to that tenant's
 * staff rooms.
 */
export async function ticketSummaryForEvent(
  ticketId: string,
  tenantId: string,
): Promise<TicketSummary | null> {
  if (!Types.ObjectId.isValid(ticketId) || !Types.ObjectId.isValid(tenantId)) return null;
  const row = await Ticket.findOne({
    _id: new Types.ObjectId(ticketId),
    tenantId: new Types.ObjectId(tenantId),
  })
    .select(summaryFields)
    .lean();
  if (!row) return null;
  return (await toSummaries([row as SummarySource]))[0] ?? null;
}
