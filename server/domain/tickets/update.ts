import { Types } from 'mongoose';
import { z, ZodError } from 'zod';
import {
  priorities,
  priorityRank,
  Ticket,
  ticketTypes,
  type Priority,
  type TicketType,
} from '../../../models/ticket.js';
import { AppError } from '../../errors/app-error.js';
import { recordTicketAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import { isStaff, type Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { authorOf } from '../auth/authors.js';
import {
  checkFourEyesDecision,
  fourEyesRuleFor,
  keyedInvoiceFields,
  makerOf,
  type FourEyesDecision,
  type FourEyesRule,
} from './four-eyes.js';
import { checkApprovalGate, type WarningsAcceptance } from './approval-gate.js';
import { reclaimInvoiceKey } from './invoice-keys.js';
import { getTicket } from './queries.js';
import { fieldSchemas } from './schemas.js';
import { searchTextOf } from './search-text.js';
import { appendTimeline } from './timeline.js';
import { noteSlaDue } from '../sla/due-list.js';
import { slaAfter } from '../sla/ticket-clock.js';

export const ticketUpdateSchema = z.object({
  /** A corrected type: the new type's fields must then be complete and valid. */
  type: z.enum(ticketTypes).optional(),
  subject: z.string().trim().min(3).max(200).optional(),
  description: z.string().trim().max(20_000).optional(),
  priority: z.enum(priorities).optional(),
  tags: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) =>
      v === undefined
        ? undefined
        : (Array.isArray(v) ? v : v.split(','))
            .map((t) => t.trim().toLowerCase())
            .filter(Boolean)
            .slice(0, 20),
    ),
  fields: z.record(z.string(), z.unknown()).optional(),
  /**
   * `fields` is the whole set of the type's fields (a full edit form: a field left out is
   * cleared, a required one then refused) rather than the changed ones merged over the stored.
   */
  replaceFields: z.boolean().optional(),
  /**
   * E-invoice tickets: the approver accepts the warnings of the file with the approval
   * ("accept with warnings", approval-gate.ts); an approval without it is refused.
   */
  acceptWarnings: z
    .union([z.boolean(), z.enum(['true', 'false', 'on', ''])])
    .optional()
    .transform((v) => v === true || v === 'true' || v === 'on'),
});
export type TicketUpdate = Partial<z.infer<typeof ticketUpdateSchema>>;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Staff correct a ticket: subject, description, priority, tags, its type and the type's fields
 * (e.g. records keyed so far, an invoice's amount or VAT number). The fields are validated with
 * the (new) type's full schema, as at creation; the timeline records each change.
 */
// Long function: one conditional update and its timeline and audit, kept in crash-safe order.
export async function updateTicket(
  ctx: Ctx,
  ref: string,
  input: TicketUpdate,
  /** `timeline: false`: the caller records the changes in an entry of its own (a macro's reply). */
  options: { timeline?: boolean } = {},
) {
  requirePermission(ctx, 'queues.work');
  const ticket = await getTicket(ctx, ref);
  const $set: Record<string, unknown> = {};
  const changes: Array<{ field: string; from: unknown; to: unknown }> = [];
  const type = (input.type ?? ticket.type) as TicketType;
  if (type !== ticket.type) {
    $set.type = type;
    changes.push({ field: 'type', from: ticket.type, to: type });
  }
  if (input.subject !== undefined && input.subject !== ticket.subject) {
    $set.subject = input.subject;
    changes.push({ field: 'subject', from: ticket.subject, to: input.subject });
  }
  if (input.description !== undefined && input.description !== (ticket.description ?? '')) {
    $set.description = input.description;
    changes.push({ field: 'description', from: ticket.description ?? '', to: input.description });
  }
  if (input.priority && input.priority !== ticket.priority) {
    $set.priority = input.priority;
    $set.priorityRank = priorityRank[input.priority];
    changes.push({ field: 'priority', from: ticket.priority, to: input.priority });
  }
  if (input.tags && !same(input.tags, ticket.tags)) {
    $set.tags = [...new Set(input.tags)];
    changes.push({ field: 'tags', from: ticket.tags, to: $set.tags });
  }
  const current = (ticket.fields ?? {}) as Record<string, unknown>;
  let fields = current;
  if (input.fields || $set.type) {
    // A new type keeps what the fields share by name; the rest of the old type's fields go.
    const candidate = input.replaceFields
      ? { ...(input.fields ?? {}) }
      : { ...current, ...(input.fields ?? {}) };
    const parsed = fieldSchemas[type].safeParse(candidate);
    if (!parsed.success) {
      // Paths as the forms and the API name them (fields.<name>).
      throw new ZodError(parsed.error.issues.map((issue) => ({ ...issue, path: ['fields', ...issue.path] })));
    }
    fields = parsed.data as Record<string, unknown>;
    for (const key of new Set([...Object.keys(current), ...Object.keys(fields)])) {
      if (!same(current[key], fields[key]))
        changes.push({ field: `fields.${key}`, from: current[key] ?? null, to: fields[key] ?? null });
    }
    $set.fields = fields;
  }
  // Four eyes on invoices (four-eyes.ts): who keyed it, and whether this decision is theirs to take.
  let decision: FourEyesDecisionTaken | null = null;
  const guard: Record<string, unknown> = {};
  let accepted: WarningsAcceptance | null = null;
  if (type === 'invoice' && $set.fields) {
    const keyedNow = changes.some((c) =>
      (keyedInvoiceFields as readonly string[]).includes(c.field.slice('fields.'.length)),
    );
    const actor = ctx.actor.kind === 'user' && isStaffAuthor(ctx) ? authorOf(ctx) : null;
    if (keyedNow && actor) {
      $set.keyedBy = { id: actor.id, name: actor.name, email: actor.email ?? null };
      $set.keyedAt = new Date();
    }
    const rule = await fourEyesRuleFor({ tenantId: ticket.tenantId, type }, fields);
    const outcomeChange = changes.find((c) => c.field === 'fields.approvalOutcome');
    const outcome = fields.approvalOutcome;
    if (rule && outcomeChange && (outcome === 'approved' || outcome === 'rejected')) {
      checkFourEyesDecision(ctx, ticket, outcome, { keyedNow });
      const makerName = makerOf(keyedNow && actor ? { keyedBy: actor } : ticket).name;
      decision = { outcome, rule, maker: makerName };
      // The maker named in the filter: a concurrent re-keying makes this update miss, never pass.
      const actorId = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
      if (actorId) guard['keyedBy.id'] = { $ne: new Types.ObjectId(actorId) };
    } else if (rule && keyedNow && outcome === 'approved' && !outcomeChange) {
      // Re-keyed after its approval: the approval was of other values, so it is taken back.
      delete fields.approvalOutcome;
      changes.push({ field: 'fields.approvalOutcome', from: 'approved', to: null });
    }
    // An e-invoice is approved only with its file's errors overridden and its warnings accepted.
    if (outcomeChange && fields.approvalOutcome === 'approved') {
      accepted = await checkApprovalGate(ctx, ticket, { acceptWarnings: input.acceptWarnings === true });
      $set.warningsAccepted = accepted;
    } else if (fields.approvalOutcome !== 'approved' && ticket.warningsAccepted) {
      // The acceptance went with an approval that is no more.
      $set.warningsAccepted = null;
    }
  }
  if ($set.fields || $set.subject || $set.type) {
    $set.searchText = searchTextOf({
      number: ticket.number,
      subject: ($set.subject as string | undefined) ?? ticket.subject,
      requester: ticket.requester ?? null,
      type,
      fields,
    });
  }
  if (!changes.length) return ticket;
  $set.lastActivityAt = new Date();
  if ($set.priority || $set.type) {
    // A priority or type change recomputes the due times from the original start.
    const clock = await slaAfter(ticket, {
      kind: 'retarget',
      at: $set.lastActivityAt as Date,
      type,
      priority: (input.priority ?? ticket.priority) as Priority,
    });
    if (clock) Object.assign($set, clock);
  }
  // Conditional on the version read, so a concurrent edit is reported instead of overwritten.
  const updated = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, version: ticket.version, ...guard },
    { $set, $inc: { version: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!updated)
    throw new AppError('conflict', 'ticket changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
  if ($set.sla) await noteSlaDue(updated, ticket);
  // A corrected supplier VAT or invoice number, or a type change, is a different invoice key.
  const duplicateOf = await reclaimInvoiceKey(ticket, updated);
  if (duplicateOf !== undefined) updated.duplicateOf = duplicateOf;
  // A four-eyes decision is its own entry (and audit action); the other changes read as before.
  const approvalFields = new Set(['fields.approvalOutcome', 'fields.approvalReason']);
  const fieldChanges = decision ? changes.filter((c) => !approvalFields.has(c.field)) : changes;
  if (fieldChanges.length) {
    if (options.timeline !== false)
      await appendTimeline(ctx, updated, {
        kind: 'fields',
        visibility: 'public',
        data: { changes: fieldChanges },
      });
    await recordTicketAudit(ctx, updated, 'ticket.fields_changed', {
      fields: fieldChanges.map((c) => c.field),
    });
  }
  if (decision) await recordFourEyesDecision(ctx, updated, decision);
  if (accepted) await recordWarningsAccepted(ctx, updated, accepted);
  domainEvents.emit('ticket.updated', {
    tenantId: String(updated.tenantId),
    ticketId: String(updated._id),
    number: updated.number,
    version: updated.version,
    changes: changes.map((c) => c.field),
  });
  return updated;
}

const isStaffAuthor = (ctx: Ctx): boolean => isStaff(ctx.actor);

/** A four-eyes decision taken by a second person (there is no override of four eyes). */
interface FourEyesDecisionTaken {
  outcome: FourEyesDecision;
  rule: FourEyesRule;
  maker: string;
}

/** One timeline entry and one audit entry for an approval or a rejection. */
async function recordFourEyesDecision(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string; fields?: unknown },
  decision: FourEyesDecisionTaken,
) {
  const f = (ticket.fields ?? {}) as Record<string, unknown>;
  const data = {
    outcome: decision.outcome,
    maker: decision.maker,
    reason: typeof f.approvalReason === 'string' ? f.approvalReason : '',
    amount: f.amount,
    currency: f.currency,
    above: decision.rule.above,
  };
  await appendTimeline(ctx, ticket, { kind: 'approval', visibility: 'public', data });
  await recordTicketAudit(
    ctx,
    ticket,
    decision.outcome === 'approved' ? 'invoice.approved' : 'invoice.rejected',
    data,
  );
}

/** The approver accepted the file's warnings with the approval: one timeline and one audit entry. */
async function recordWarningsAccepted(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string },
  accepted: WarningsAcceptance,
) {
  const data = { action: 'warnings_accepted', count: accepted.findings.length, findings: accepted.findings };
  await appendTimeline(ctx, ticket, { kind: 'approval', visibility: 'public', data });
  await recordTicketAudit(ctx, ticket, 'invoice.warnings_accepted', data);
}
