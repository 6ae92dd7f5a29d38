import { Types } from 'mongoose';
import { priorities, priorityRank, type Priority, type TicketStatus } from '../../models/ticket.js';
import type { BusinessCalendar } from '../domain/sla/business-time.js';
import {
  dueEvents,
  firstResponded,
  nextDeadline,
  pause,
  recorded,
  resolved,
  resume,
  type SlaClock,
} from '../domain/sla/clock.js';
import { NO_DEADLINE } from '../domain/sla/ticket-clock.js';
import { stampFor } from '../domain/tickets/transitions.js';
import { SLA_SWEEP_JOB } from '../../jobs/sla-sweep.js';

/**
 * Replays one historical ticket through what the portal would have done to it, step by step, in
 * memory: the same status moves, stamps and SLA clock functions as tickets/lifecycle.ts,
 * replies.ts and queues/claims.ts, and before every step what the SLA sweep would have recorded
 * by then (warnings, breaches with the contract's priority raise). The result is written in bulk
 * by demo-history.ts; nothing here touches the database, sends mail or emits events.
 */

export interface Person {
  id: Types.ObjectId;
  name: string;
  email: string;
  staff: boolean;
}

export type Step =
  /** `by` takes the ticket itself (claimed) or, a team lead, gives it to `to` (assigned). */
  | { kind: 'assign'; at: Date; by: Person; to: Person }
  | { kind: 'reply'; at: Date; by: Person; body: string }
  | { kind: 'status'; at: Date; by: Person; to: TicketStatus }
  | { kind: 'fields'; at: Date; by: Person; fields: Record<string, unknown> };

export interface Entry {
  at: Date;
  kind: 'created' | 'reply' | 'status' | 'fields' | 'assignment' | 'sla';
  visibility: 'public' | 'internal';
  author: { id: Types.ObjectId | null; name: string; kind: 'client' | 'staff' | 'system' };
  body?: string;
  data?: Record<string, unknown>;
  key?: string;
}

export interface EventRow {
  target: 'firstResponse' | 'resolution';
  kind: 'warning' | 'breach';
  threshold: number;
  dueAt: Date;
  recordedAt: Date;
}

type Stamp =
  'openedAt' | 'pendingAt' | 'resolvedAt' | 'closedAt' | 'reopenedAt' | 'firstResponseAt' | 'assignedAt';

/** The sweep runs every few seconds: an event is recorded this long after it came due. */
const SWEEP_LAG_MS = 3_000;
const sweepAuthor = { id: null, name: SLA_SWEEP_JOB, kind: 'system' as const };
const authorOf = (p: Person): Entry['author'] => ({
  id: p.id,
  name: p.name,
  kind: p.staff ? 'staff' : 'client',
});

export class TicketReplay {
  readonly id = new Types.ObjectId();
  status: TicketStatus = 'new';
  version = 1;
  assignee: Person | null = null;
  readonly stamps: Partial<Record<Stamp, Date>> = {};
  readonly entries: Entry[] = [];
  readonly events: EventRow[] = [];
  lastActivityAt: Date;
  updatedAt: Date;

  constructor(
    private readonly calendar: BusinessCalendar,
    private readonly raisePriority: boolean,
    public priority: Priority,
    public clock: SlaClock,
    public fields: Record<string, unknown>,
    created: { at: Date; by: Person; channel: string; description: string },
  ) {
    this.lastActivityAt = created.at;
    this.updatedAt = created.at;
    this.entries.push({
      at: created.at,
      kind: 'created',
      visibility: 'public',
      author: authorOf(created.by),
      body: created.description,
      data: { channel: created.channel },
    });
  }

  /** Every step that happened by `now`, in order; later ones have not happened yet. */
  replay(steps: Step[], now: Date): this {
    for (const step of steps) {
      if (step.at > now) break;
      this.sweep(step.at);
      this.apply(step);
    }
    this.sweep(now);
    return this;
  }

  get dueSortAt(): Date {
    return nextDeadline(this.clock) ?? NO_DEADLINE;
  }

  /** What sla/sweep.ts records for this ticket by `at`: each event once, the breach's priority raise. */
  private sweep(at: Date): void {
    for (const event of dueEvents(this.calendar, this.clock, at)) {
      const recordedAt = new Date(Math.min(event.at.getTime() + SWEEP_LAG_MS, at.getTime()));
      this.clock = recorded(this.calendar, this.clock, [event]);
      this.events.push({
        target: event.target,
        kind: event.kind,
        threshold: event.threshold,
        dueAt: event.at,
        recordedAt,
      });
      this.entries.push({
        at: event.at,
        kind: 'sla',
        visibility: 'internal',
        author: sweepAuthor,
        data: { target: event.target, kind: event.kind, threshold: event.threshold, dueAt: event.at },
        key: `sla:${String(this.id)}:${event.target}:${event.kind}:${event.threshold}`,
      });
      if (event.kind === 'breach' && this.raisePriority) {
        this.priority = priorities[
          Math.min(priorities.indexOf(this.priority) + 1, priorities.length - 1)
        ] as Priority;
      }
      this.version++;
      this.updatedAt = recordedAt;
    }
  }

  private touch(at: Date): void {
    this.version++;
    this.lastActivityAt = at;
    this.updatedAt = at;
  }

  // Long function: demo data: a switch over the replayed event kinds.
  private apply(step: Step): void {
    switch (step.kind) {
      case 'assign': {
        // takeTicket / assignTicket: the assignee, and a new ticket is open from then on.
        const from = this.assignee;
        this.assignee = step.to;
        this.stamps.assignedAt = step.at;
        if (this.status === 'new') {
          this.status = 'open';
          this.stamps.openedAt = step.at;
        }
        this.touch(step.at);
        const action = step.by.id.equals(step.to.id) ? 'claimed' : 'assigned';
        this.entries.push({
          at: step.at,
          kind: 'assignment',
          visibility: 'internal',
          author: authorOf(step.by),
          data: { action, to: step.to.name, from: from?.name ?? null },
        });
        return;
      }
      case 'reply': {
        // addReply: a staff reply opens a new ticket and is the first response; a client's answer
        // to a pending ticket reopens it and resumes the resolution clock.
        const staff = step.by.staff;
        const statusFrom =
          staff && this.status === 'new' ? 'new' : !staff && this.status === 'pending' ? 'pending' : null;
        if (staff && !this.stamps.firstResponseAt) {
          this.clock = firstResponded(this.calendar, this.clock, step.at);
          this.stamps.firstResponseAt = step.at;
        } else if (statusFrom === 'pending') {
          this.clock = resume(this.calendar, this.clock, step.at);
        }
        if (statusFrom) this.status = 'open';
        if (statusFrom === 'new') this.stamps.openedAt = step.at;
        this.touch(step.at);
        this.entries.push({
          at: step.at,
          kind: 'reply',
          visibility: 'public',
          author: authorOf(step.by),
          body: step.body,
        });
        if (statusFrom) {
          this.entries.push({
            at: step.at,
            kind: 'status',
            visibility: 'public',
            author: authorOf(step.by),
            data: { from: statusFrom, to: 'open' },
          });
        }
        return;
      }
      case 'status': {
        // changeStatus: the stamp of the move and its effect on the clock.
        const from = this.status;
        if (from === step.to) return;
        if (step.to === 'resolved') this.clock = resolved(this.calendar, this.clock, step.at);
        else if (step.to === 'pending') this.clock = pause(this.calendar, this.clock, step.at);
        else if (step.to === 'open' && (from === 'pending' || from === 'resolved'))
          this.clock = resume(this.calendar, this.clock, step.at);
        const stamp = stampFor(from, step.to) as Stamp | null;
        if (stamp) this.stamps[stamp] = step.at;
        this.status = step.to;
        this.touch(step.at);
        this.entries.push({
          at: step.at,
          kind: 'status',
          visibility: 'public',
          author: authorOf(step.by),
          data: { from, to: step.to },
        });
        return;
      }
      case 'fields': {
        // updateTicket: one change per field that differs.
        const changes = Object.entries(step.fields)
          .filter(([key, value]) => this.fields[key] !== value)
          .map(([key, value]) => ({ field: `fields.${key}`, from: this.fields[key] ?? null, to: value }));
        if (!changes.length) return;
        this.fields = { ...this.fields, ...step.fields };
        this.touch(step.at);
        this.entries.push({
          at: step.at,
          kind: 'fields',
          visibility: 'public',
          author: authorOf(step.by),
          data: { changes },
        });
        return;
      }
    }
  }

  get priorityRank(): number {
    return priorityRank[this.priority];
  }
}
