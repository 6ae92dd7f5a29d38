import mongoose, { Schema, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const ticketTypes = ['data_entry', 'complaint', 'invoice'] as const;
export type TicketType = (typeof ticketTypes)[number];
export const priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof priorities)[number];
export const ticketStatuses = ['new', 'open', 'pending', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const channels = ['portal', 'api', 'email', 'import'] as const;
export type Channel = (typeof channels)[number];

/** Tags the portal sets itself (an e-invoice's ticket): stored as these codes, shown translated (`tickets.system_tags.*`). */
export const systemTags = ['e-invoice'] as const;
export const isSystemTag = (tag: string): boolean => (systemTags as readonly string[]).includes(tag);

export const priorityRank: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };
export const activeStatuses: TicketStatus[] = ['new', 'open', 'pending'];

const person = new Schema(
  { id: { type: 'ObjectId', ref: 'User' }, name: String, email: String },
  { _id: false },
);

/**
 * A piece of back-office work. Type-specific data lives in `fields` (validated by the domain's
 * schemas per type); the timeline lives in its own collection, never in an array here.
 */
const ticketSchema = new Schema(
  {
    tenantId: tenantRef(),
    number: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, required: true, enum: ticketTypes },
    subject: { type: String, required: true, trim: true, maxlength: 200 },
    description: { type: String, default: '', maxlength: 20_000 },
    priority: { type: String, required: true, enum: priorities, default: 'normal' },
    status: { type: String, required: true, enum: ticketStatuses, default: 'new' },
    channel: { type: String, required: true, enum: channels },
    requester: { type: person, required: true },
    assignee: { type: person, default: null },
    /** Sort keys for queues: urgent first (0) ... low (3); the earliest SLA deadline still open. */
    priorityRank: { type: Number, required: true, default: 2 },
    dueSortAt: { type: Date, required: true, default: () => new Date('9999-12-31T00:00:00Z') },
    assignedAt: { type: Date, default: null },
    /** The SLA clock (server/domain/sla/clock.ts), recomputed in the same update as every change. */
    sla: { type: Schema.Types.Mixed, default: null },
    tags: { type: [String], default: [] },
    fields: { type: Schema.Types.Mixed, default: {} },
    /** Invoices: an earlier ticket of this tenant with the same supplier VAT and invoice number. */
    duplicateOf: { type: { id: 'ObjectId', number: String }, default: null, _id: false },
    /**
     * Merged into another ticket of the same client (tickets/merge-tickets.ts); `mergeState` is the
     * merge's progress ('moving' then 'linking' then 'done'): a merge cut short is finished by its step.
     */
    mergedInto: { type: { id: 'ObjectId', number: String }, default: null, _id: false },
    mergeState: { type: String, enum: ['moving', 'linking', 'done', null], default: null },
    /**
     * Invoices: the staff member who last changed the invoice's keyed fields (four-eyes.ts); null
     * while nobody but the requester has keyed them (the requester is then the maker).
     */
    keyedBy: { type: person, default: null },
    keyedAt: { type: Date, default: null },
    /**
     * E-invoice tickets: the warnings of the file the approver accepted with the approval
     * (domain/tickets/approval-gate.ts): `{ by: { id, name }, at, findings: [ids] }`, set by the same
     * update as the approval and cleared when that approval is taken back.
     */
    warningsAccepted: { type: Schema.Types.Mixed, default: null },
    /**
     * E-invoice tickets: the ids of the findings overridden (domain/einvoices/override-finding.ts),
     * each pushed by the update that bumps the version for it, so a repeated override bumps nothing.
     */
    findingOverrides: { type: [String], default: undefined },
    /** Lowercased text the staff search matches (number, subject, requester, references). */
    searchText: { type: String, default: '' },
    /**
     * Set when a data subject's erasure had to keep this ticket under a legal obligation (an
     * invoice: server/domain/privacy/): hidden from everyone but admins until retention purges it.
     */
    restrictedAt: { type: Date, default: null },
    /** Bumped on every change: clients catch up on what they missed by version. */
    version: { type: Number, required: true, default: 1 },
    firstResponseAt: { type: Date, default: null },
    openedAt: { type: Date, default: null },
    pendingAt: { type: Date, default: null },
    resolvedAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    reopenedAt: { type: Date, default: null },
    lastActivityAt: { type: Date, required: true, default: () => new Date() },
    /**
     * Timeline entries this ticket's last changes still owe (server/domain/tickets/
     * pending-entries.ts): written with the change, pulled once the entry is stored.
     */
    pendingEntries: { type: [Schema.Types.Mixed], default: undefined },
    /**
     * Set when the retention purge starts deleting this ticket (server/domain/retention/
     * purge-tickets.ts): its dependants go first, the ticket last, so a ticket still carrying
     * this after a crash is one the next purge run finishes first.
     */
    purgingAt: { type: Date, default: undefined },
  },
  { timestamps: true, minimize: false },
);
ticketSchema.index({ tenantId: 1, number: 1 }, { unique: true });
// The embedded engine answers a filter from an index only when it names exactly the index's
// fields, else it scans every ticket (~28 ms at 100k): these make the reads by (_id, tenantId)
// and the version-checked updates by (_id, tenantId, version) index look-ups there.
ticketSchema.index({ _id: 1, tenantId: 1 }, { unique: true });
ticketSchema.index({ _id: 1, tenantId: 1, version: 1 }, { unique: true });
// The sweep finishing interrupted changes: tickets still carrying a marker (almost none).
ticketSchema.index({ 'pendingEntries.at': 1 });
// The merge sweep (tickets/merge-tickets.ts) finds unfinished merges by their state.
ticketSchema.index({ mergeState: 1 });
// The purge finishing tickets a crash left half deleted.
ticketSchema.index({ purgingAt: 1 });
// A PO's other open tickets of the client (tickets/list-po-tickets.ts); on MongoDB only, the
// embedded engine ignores non-unique indexes and scans.
ticketSchema.index({ tenantId: 1, 'fields.poNumber': 1, status: 1 });
ticketSchema.plugin(tenantScopePlugin);

export type TicketAttrs = InferSchemaType<typeof ticketSchema>;
export type TicketDoc = HydratedDocument<TicketAttrs>;
export const Ticket = mongoose.model('Ticket', ticketSchema);
