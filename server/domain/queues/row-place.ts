import type { Types } from 'mongoose';
import { Queue, queueOrders, type QueueOrder } from '../../../models/queue.js';
import { priorityRank, type Priority } from '../../../models/ticket.js';
import { sortOf, ticketMatchesQueue } from './filter.js';

/**
 * Where a ticket's row goes on a queue page, so the page script never repeats the queue's filter
 * or order: the queues whose filter the ticket passes (ticketMatchesQueue) and, for each order,
 * a key that sorts as `sortOf[order]` sorts in the database (plain string comparison, ascending).
 */
export interface RowPlace {
  queueIds: string[];
  sortKeys: Record<QueueOrder, string>;
}

export interface PlaceSource {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  type: string;
  priority: string;
  status: string;
  tags?: string[] | null;
  assignee?: { id?: unknown } | null;
  createdAt?: Date;
  dueSortAt?: Date | null;
  priorityRank?: number | null;
}

/** The stored default of `dueSortAt` (models/ticket.ts): no deadline sorts last. */
const NO_DEADLINE = Date.parse('9999-12-31T00:00:00Z');
const WIDTH = 16;
const TOP = 10 ** WIDTH - 1;

/** A non-negative integer as a fixed-width string; descending ones count down from the top. */
function numberPart(value: number, direction: 1 | -1): string {
  const n = Math.max(0, Math.min(TOP, Math.round(value)));
  return String(direction === 1 ? n : TOP - n).padStart(WIDTH, '0');
}

/** An ObjectId's hex; descending, each digit mirrored (0 <-> f), which reverses the order. */
function idPart(id: string, direction: 1 | -1): string {
  return direction === 1 ? id : [...id].map((c) => (15 - parseInt(c, 16)).toString(16)).join('');
}

function valueOf(field: string, t: PlaceSource): number | string {
  switch (field) {
    case 'dueSortAt':
      return t.dueSortAt ? t.dueSortAt.getTime() : NO_DEADLINE;
    case 'priorityRank':
      return t.priorityRank ?? priorityRank[t.priority as Priority] ?? priorityRank.normal;
    case 'createdAt':
      return t.createdAt ? t.createdAt.getTime() : 0;
    case '_id':
      return String(t._id);
    default:
      throw new Error(`no sort key part for ${field}`);
  }
}

/** The key of one ticket in one order, built from the very sort the queue query uses. */
export function sortKeyOf(order: QueueOrder, t: PlaceSource): string {
  return Object.entries(sortOf[order])
    .map(([field, direction]) => {
      const value = valueOf(field, t);
      return typeof value === 'number' ? numberPart(value, direction) : idPart(value, direction);
    })
    .join('.');
}

/** Each ticket's place on every queue page: one read of the (few) queue definitions. */
export async function rowPlaces(rows: PlaceSource[]): Promise<RowPlace[]> {
  const queues = rows.length
    ? await Queue.find({}).select({ tenantIds: 1, types: 1, priorities: 1, tags: 1 }).lean()
    : [];
  return rows.map((t) => ({
    queueIds: queues
      .filter((q) =>
        ticketMatchesQueue(q, {
          tenantId: t.tenantId,
          type: t.type,
          priority: t.priority,
          tags: t.tags ?? [],
          status: t.status,
          assignee: t.assignee ?? null,
        }),
      )
      .map((q) => String(q._id)),
    sortKeys: Object.fromEntries(queueOrders.map((order) => [order, sortKeyOf(order, t)])) as Record<
      QueueOrder,
      string
    >,
  }));
}
