import { EventEmitter } from 'node:events';
import type { Types } from 'mongoose';
import type { AccuracyBreachAttrs } from '../../models/accuracy-breach.js';
import type { TicketAttrs } from '../../models/ticket.js';

/**
 * Domain events, raised after a change is stored. Adapters subscribe (the real-time layer
 * pushes them to sockets, disconnects disabled users); the domain never knows who listens.
 */
export interface TicketEvent {
  tenantId: string;
  ticketId: string;
  number: string;
  version: number;
}

/** The stored ticket, when the emitter has it at hand: listeners need not read it back. */
export type TicketRow = Pick<
  TicketAttrs,
  'number' | 'subject' | 'type' | 'priority' | 'status' | 'tags' | 'assignee' | 'requester' | 'version'
> & {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  createdAt?: Date;
  dueSortAt?: Date | null;
  /** Invoices: the earlier ticket for the same supplier invoice (queue rows mark it). */
  duplicateOf?: { number?: string | null } | null;
};

/** A stored timeline entry, as the webhook fast path reads it. */
export interface TimelineAppended {
  _id: Types.ObjectId;
  key: string;
  tenantId: Types.ObjectId;
  ticketId: Types.ObjectId;
  at: Date;
  kind: string;
  visibility: string;
  author?: { kind?: string | null } | null;
  data?: Record<string, unknown> | null;
}

/** What happened outside the timeline that a webhook announces (webhooks/record-business-events.ts). */
export interface BusinessEvent {
  tenantId: Types.ObjectId;
  ticket: { _id: Types.ObjectId; number: string; type: string };
  /** The durable record it comes from (an e-invoice record, a closed lot): its key, unique. */
  sourceId: Types.ObjectId;
  at: Date;
}

export interface DomainEvents {
  'user.sessions_revoked': { userId: string };
  'mail.queued': { key: string };
  /** An entry of a ticket's history was stored (the durable record webhook events derive from). */
  'timeline.appended': { entry: TimelineAppended };
  /** Webhook events were written and wait for delivery. */
  'webhook.queued': { count: number };
  'ticket.created': TicketEvent & { ticket?: TicketRow };
  'ticket.updated': TicketEvent & { changes: string[] };
  'ticket.commented': TicketEvent & { internal: boolean };
  'ticket.claimed': TicketEvent & { assignee: { name: string } | null };
  'ticket.released': TicketEvent & { assignee: null };
  /** A requester rated (or re-rated, or commented on) a resolution through the survey link. */
  'csat.received': { tenantId: string; ticketId: string; number: string; score: number; resolution: number };
  /** An invoice of an e-invoice file has its ticket and record (also again when the same bytes come back). */
  'einvoice.received': BusinessEvent & {
    format: string;
    findings: { error: number; warning: number; info: number };
    duplicateOf: string | null;
  };
  /** A keying batch's inspection lot was judged (quality/close-lot.ts). */
  'quality.lot_decided': BusinessEvent & {
    layout: { id: Types.ObjectId; name: string };
    round: number;
    verdict: 'accepted' | 'rejected';
    lotSize: number;
    sampleSize: number;
    errorsByClass: Record<string, { inspected: number; nonconforming: number }>;
  };
  /**
   * A layout's accuracy target was breached in a month (quality/record-accuracy-breach.ts): raised
   * once, by the lot closing that recorded the breach; the ticket is that lot's batch.
   */
  'quality.accuracy_breached': BusinessEvent & {
    layout: { id: Types.ObjectId; name: string };
    /** The month ('2026-05', the client's time zone), the target and the figures it was seen on. */
    breach: Pick<AccuracyBreachAttrs, 'period' | 'target' | 'inspected' | 'correct' | 'lower' | 'upper'>;
  };
  'ticket.sla': TicketEvent & {
    state: string;
    events: Array<{ target: string; kind: string; threshold: number }>;
  };
}

class TypedBus {
  private readonly emitter = new EventEmitter();
  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
  }
  on<K extends keyof DomainEvents>(name: K, listener: (payload: DomainEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}

export const domainEvents = new TypedBus();
