import type { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { AppError } from '../../errors/app-error.js';
import { authorOf } from '../auth/authors.js';
import type { Ctx } from '../context.js';
import { mayAccessTenant } from '../tenants/scope.js';
import { findingStates, gateOf, type Finding, type FindingState } from './finding-state.js';

/**
 * Findings gate the approval of an e-invoice ticket (issue #17 item 5). Whatever the path of the
 * approval (the ticket page, the full edit page, a macro's field changes, anything that ends in
 * update.ts), an invoice made from a file is approved only when:
 *
 * - none of the file's errors is left: each one is overridden with a reason (einvoices/override-finding.ts);
 * - the approver accepts the file's warnings, if it has any, explicitly (`acceptWarnings`): the
 *   acceptance (who, when, which warnings) is stored on the ticket by the same update as the
 *   approval, and the approval's timeline entry says so.
 *
 * A ticket not made from a file has no findings and no gate. The findings of a stored file never
 * change and an override is never taken back, so reading them before the approval's conditional
 * update races with nothing that could make it wrong: an override arriving meanwhile only makes
 * an error fewer.
 */
export interface WarningsAcceptance {
  by: { id: Types.ObjectId | null; name: string };
  at: Date;
  findings: string[];
}

/** The findings of a ticket's file with their state (for a ticket already in the caller's scope). */
async function readFindingStates(ticket: {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
}): Promise<FindingState[] | null> {
  const row = await EInvoiceRecord.findOne(
    { tenantId: ticket.tenantId, ticketId: ticket._id },
    { findings: 1, overrides: 1 },
  ).lean();
  if (!row) return null;
  return findingStates(row.findings as Finding[], row.overrides as Record<string, unknown> | undefined);
}

/**
 * The findings of a ticket's file with their state, or null for a ticket not made from a file (or
 * of a client the caller does not serve).
 */
export async function ticketFindingStates(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
): Promise<FindingState[] | null> {
  if (!mayAccessTenant(ctx, String(ticket.tenantId))) return null;
  return readFindingStates(ticket);
}

/**
 * Refuses the approval of this ticket while an error of its file is left, or its warnings are not
 * accepted; returns what the approval records about the warnings (null when there are none).
 * The refusal is a field error on the approval box (`fields.approvalOutcome`, or `acceptWarnings`
 * for the warnings): the ticket page shows it there, the JSON answers carry it as a 422.
 */
export async function checkApprovalGate(
  ctx: Ctx,
  ticket: { _id: Types.ObjectId; tenantId: Types.ObjectId },
  opts: { acceptWarnings: boolean },
): Promise<WarningsAcceptance | null> {
  // The caller has the ticket from getTicket (its scope checked): the gate reads the row itself.
  const states = await readFindingStates(ticket);
  if (!states) return null;
  const gate = gateOf(states);
  if (gate.blocked) {
    const params = { count: gate.blocking.length, rules: gate.blocking.map((f) => f.rule).join(', ') };
    throw new AppError('validation', 'approval blocked by the findings of the file', {
      messageKey: 'einvoice_gate.errors.blocked',
      params,
      fields: [{ path: 'fields.approvalOutcome', key: 'einvoice_gate.errors.blocked', params }],
    });
  }
  if (gate.warnings.length === 0) return null;
  if (!opts.acceptWarnings) {
    const params = { count: gate.warnings.length };
    throw new AppError('validation', 'warnings not accepted', {
      messageKey: 'einvoice_gate.errors.accept_warnings',
      params,
      fields: [{ path: 'acceptWarnings', key: 'einvoice_gate.errors.accept_warnings', params }],
    });
  }
  const author = authorOf(ctx);
  return {
    by: { id: author.id, name: author.name },
    at: new Date(),
    findings: [...new Set(gate.warnings.map((w) => w.id))],
  };
}
