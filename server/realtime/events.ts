import type { TicketSummary } from '../domain/queues/views.js';
import type { TimelineEntryView } from '../domain/tickets/timeline-view.js';
import type { SocketAck } from '../errors/error-table.js';

/**
 * The socket contract, both directions. Client -> server events carry an acknowledgement that
 * answers `{ data }` or `{ error }` (error-table.ts `SocketAck`), exactly like an HTTP route
 * answers with a body or an error.
 */
export type Ack<T> = (response: SocketAck<T>) => void;

/** Counts shown on the queue pages (domain queueCounts). */
export interface QueueCountsView {
  queues: Array<{ id: string; name: string; count: number }>;
  mine: number;
  breachingSoon: number;
}

/** What a queue page needs to redraw itself after (re)connecting. */
export interface QueueSyncView {
  queueId: string;
  order: string;
  filter: { tenantIds: string[]; types: string[]; priorities: string[]; tags: string[] };
  tickets: TicketSummary[];
  /** Each ticket's row as the page prints it (views/partials/ticket-rows.hbs), in order. */
  rows: QueueRowView[];
  counts: QueueCountsView;
}

/** One queue row rendered by the server for the reader; its `<tr>` carries data-sort-key. */
export interface QueueRowView {
  id: string;
  version: number;
  html: string;
}

/** A timeline entry as the ticket page draws it: the one presenter's view model. */
export type { TimelineEntryView };

/** The ticket page's SLA panel, as the server computed it (business time) for the reader. */
export interface SlaPanelView {
  /** The whole panel as views/partials/sla-panel.hbs prints it for the reader. */
  html: string;
  state: string;
  stateText: string;
  targets: Array<{ target: string; leftText: string | null; overdueText: string | null }>;
}

export interface TicketWatchView {
  ticketId: string;
  number: string;
  status: string;
  statusText: string;
  /** The status badge as views/partials/ticket-status.hbs prints it. */
  statusHtml: string;
  version: number;
  sla: SlaPanelView | null;
  /** The view model and, in `html`, the entry as views/partials/timeline-entry.hbs prints it. */
  entries: Array<TimelineEntryView & { html: string }>;
}

export interface PresencePerson {
  id: string;
  name: string;
  /** Set on what a client sees of staff: "an operator", no name, no id. */
  operator?: true;
}

export interface PresenceView {
  ticketId: string;
  viewers: PresencePerson[];
  typing: PresencePerson[];
}

export interface HelloView {
  user: { id: string; name: string; staff: boolean };
  locale: string;
  /** The texts the page scripts show, in the reader's language. */
  strings: Record<string, string>;
}

export interface ClaimResult {
  ticket: TicketSummary;
}

/** What the queues overview page redraws: counts, my tickets and unassigned breaching soon. */
export interface QueueOverviewView {
  counts: QueueCountsView;
  mine: TicketSummary[];
  soon: TicketSummary[];
  /** Both lists' rows as the page prints them (an empty list says so). */
  html: { mine: string; soon: string };
}

export interface ClientToServerEvents {
  hello: (ack: Ack<HelloView>) => void;
  'queues:overview': (ack: Ack<QueueOverviewView>) => void;
  'queue:sync': (payload: { queueId: string }, ack: Ack<QueueSyncView>) => void;
  'queue:rows': (
    payload: { queueId: string; ids: string[] },
    ack: Ack<{ queueId: string; rows: QueueRowView[] }>,
  ) => void;
  'queues:counts': (ack: Ack<QueueCountsView>) => void;
  'ticket:watch': (payload: { ref: string; since?: string }, ack: Ack<TicketWatchView>) => void;
  'ticket:unwatch': (payload: { ref: string }, ack: Ack<{ ok: true }>) => void;
  'ticket:take': (payload: { ref: string }, ack: Ack<ClaimResult>) => void;
  'ticket:next': (payload: { queueId?: string }, ack: Ack<ClaimResult | null>) => void;
  'ticket:release': (payload: { ref: string }, ack: Ack<ClaimResult>) => void;
  typing: (payload: { ref: string; typing: boolean }, ack?: Ack<{ ok: true }>) => void;
}

/** A change on one ticket, as its page hears it (public rooms: nothing but number/status/version). */
export interface TicketActivity {
  ticketId: string;
  number: string;
  status: string;
  version: number;
}

export interface ServerToClientEvents {
  /** Staff of the ticket's tenant: a new ticket. */
  'ticket:created': (ticket: TicketSummary) => void;
  /** Staff of the ticket's tenant: status, priority, fields or assignee changed. */
  'ticket:changed': (ticket: TicketSummary) => void;
  'ticket:claimed': (payload: { ticket: TicketSummary; assignee: { name: string } | null }) => void;
  'ticket:released': (payload: { ticket: TicketSummary }) => void;
  /** Watchers of the ticket page: a reply or (staff rooms only) an internal note. */
  'ticket:commented': (payload: {
    ticketId: string;
    number: string;
    version: number;
    internal: boolean;
  }) => void;
  /** Watchers of the ticket page: anything else changed; fetch entries since the latest. */
  'ticket:activity': (payload: TicketActivity) => void;
  presence: (payload: PresenceView) => void;
  /** Staff of the ticket's tenant: the SLA sweep recorded warnings or breaches. */
  'sla:state': (payload: {
    ticketId: string;
    number: string;
    state: string;
    version: number;
    events: Array<{ target: string; kind: string; threshold: number }>;
  }) => void;
}

export type InterServerEvents = Record<string, never>;

/** Kept on each socket; travels with fetchSockets() across nodes, so plain data only. */
export interface SocketData {
  userId: string;
  name: string;
  staff: boolean;
  /** ticketId -> epoch ms until which this socket counts as typing there. */
  typing: Record<string, number>;
}
