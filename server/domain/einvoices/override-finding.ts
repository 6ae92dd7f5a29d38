import type { Types } from 'mongoose';
import { z } from 'zod';
import { AuditEvent } from '../../../models/audit-event.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { AppError, notFound, validation } from '../../errors/app-error.js';
import { recordTicketAudit } from '../audit/audit.js';
import { authorOf } from '../auth/authors.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { getTicket } from '../tickets/queries.js';
import { appendTimeline } from '../tickets/timeline.js';
import { findingStates, isFindingId, type FindingOverride } from '../tickets/finding-state.js';
import type { Finding } from './types.js';

export const overrideFindingInput = z.object({
  reason: z
    .string()
    .trim()
    .max(2000)
    .refine((v) => v.length > 0, { params: { key: 'einvoice_gate.errors.reason_required' } }),
});
export type OverrideFindingInput = z.infer<typeof overrideFindingInput>;

/**
 * The ticket changed: its version bumped once for the override (the update records the finding's
 * id, so a repeat bumps nothing), and `ticket.updated` on the bus with the version it has now.
 */
async function announceOverride(
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId; number: string; version: number },
  id: string,
) {
  const bumped = await Ticket.findOneAndUpdate(
    { _id: ticket._id, tenantId: ticket.tenantId, findingOverrides: { $ne: id } },
    { $set: { lastActivityAt: new Date() }, $inc: { version: 1 }, $push: { findingOverrides: id } },
    { returnDocument: 'after', projection: { version: 1 } },
  ).lean();
  const version =
    bumped?.version ??
    (await Ticket.findOne({ _id: ticket._id, tenantId: ticket.tenantId }, { version: 1 }).lean())?.version ??
    ticket.version;
  domainEvents.emit('ticket.updated', {
    tenantId: String(ticket.tenantId),
    ticketId: String(ticket._id),
    number: ticket.number,
    version,
    changes: ['findingOverrides'],
  });
}

/**
 * Staff holding `invoices.override_findings` override one error finding of an e-invoice ticket
 * they serve, with a reason (issue #17 item 5): recorded on the file's row under the finding's
 * id (tickets/finding-state.ts), with who and when, then as an internal timeline entry and an audit entry.
 * Only errors are overridden (a warning never blocks; the approver accepts warnings with the
 * approval), each once: the row is written by one conditional update (`overrides.<id>` absent),
 * so of two concurrent overrides of the same finding one is stored and the other refused
 * (`conflict`). Then the ticket changes like any other change: its version is bumped once for
 * the override (a conditional update that also records the finding's id in `findingOverrides`)
 * and `ticket.updated` goes on the bus (the real-time layer refreshes the open ticket pages and
 * queues). A crash after the row is completed by sending the same override again: the same person
 * and reason find their override stored and the missing steps are done (the version bumped if it
 * was not, the timeline entry under a key of its own, the audit entry once, the event).
 */
export async function overrideFinding(ctx: Ctx, ref: string, id: string, rawInput: unknown) {
  requirePermission(ctx, 'invoices.override_findings');
  const ticket = await getTicket(ctx, ref);
  if (!isFindingId(id)) throw notFound('finding');
  const row = await EInvoiceRecord.findOne(
    { tenantId: ticket.tenantId, ticketId: ticket._id },
    { _id: 1, findings: 1, overrides: 1 },
  ).lean();
  if (!row) throw notFound('finding');
  const states = findingStates(row.findings as Finding[], row.overrides as Record<string, unknown>);
  const state = states.find((s) => s.id === id);
  if (!state) throw notFound('finding');
  if (state.severity !== 'error')
    throw validation([{ path: 'reason', key: 'einvoice_gate.errors.not_an_error' }], 'not an error');
  const { reason } = overrideFindingInput.parse(rawInput);
  const author = authorOf(ctx);
  const override: FindingOverride = {
    by: { id: author.id ? String(author.id) : null, name: author.name },
    at: new Date(),
    reason,
    rule: state.rule,
  };
  const path = `overrides.${id}`;
  const won = await EInvoiceRecord.updateOne(
    { _id: row._id, tenantId: ticket.tenantId, [path]: { $exists: false } },
    { $set: { [path]: override } },
  );
  let stored = override;
  if (won.modifiedCount === 0) {
    const now = await EInvoiceRecord.findOne(
      { _id: row._id, tenantId: ticket.tenantId },
      { overrides: 1 },
    ).lean();
    const existing = (now?.overrides as Record<string, FindingOverride> | undefined)?.[id];
    // The same override sent again (a retry after a crash): complete its entries below.
    const retry = existing && existing.by.id === override.by.id && existing.reason === reason;
    if (!existing || !retry)
      throw new AppError('conflict', 'finding already overridden', {
        messageKey: 'einvoice_gate.errors.already_overridden',
        params: { name: existing?.by.name ?? '' },
      });
    stored = existing;
  }
  const data = {
    action: 'finding_overridden',
    findingId: id,
    rule: state.rule,
    reason,
    messageKey: state.messageKey,
    params: state.params,
  };
  await appendTimeline(ctx, ticket, {
    kind: 'approval',
    visibility: 'internal',
    key: `finding-override:${String(ticket._id)}:${id}`,
    at: new Date(stored.at),
    data,
  }).catch((err: unknown) => {
    // Written by the first sending already (its key): a retry completes what is missing only.
    if ((err as { code?: unknown } | null)?.code !== 11000) throw err;
  });
  const audited =
    stored !== override &&
    (await AuditEvent.exists({
      tenantId: ticket.tenantId,
      targetId: ticket._id,
      action: 'invoice.finding_overridden',
      'details.findingId': id,
    }));
  if (!audited) await recordTicketAudit(ctx, ticket, 'invoice.finding_overridden', data);
  await announceOverride(ticket, id);
  return { ticket, findingId: id, override: stored };
}
