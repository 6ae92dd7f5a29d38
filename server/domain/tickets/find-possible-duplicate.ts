import { Types } from 'mongoose';
import { z } from 'zod';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { requirePermission } from '../auth/policy.js';
import { invoiceKeyOf } from './invoice-keys.js';
import { findTicket } from './queries.js';
import { checkVat } from './vat.js';

/** What the new invoice form sends while the client types (strings as typed). */
export const possibleDuplicateSchema = z.object({
  supplierVat: z.string().trim().max(30).default(''),
  invoiceNumber: z.string().trim().max(60).default(''),
  /** The issue date as the form's date field sends it (`YYYY-MM-DD`); empty until it is typed. */
  issueDate: z.string().trim().max(30).default(''),
});
export type PossibleDuplicateInput = z.infer<typeof possibleDuplicateSchema>;

export interface PossibleDuplicate {
  duplicate: boolean;
  /** The earlier ticket's number, when the caller may see that ticket (a colleague's may not). */
  number: string | null;
}

/**
 * Whether an invoice with this supplier VAT, number and issue date is already a ticket of the caller's own
 * company, before the form is sent. The same rule as the flag set when a ticket is stored
 * (invoiceKeyOf, the key the unique index of invoice-keys.ts holds), read with one indexed
 * look-up in the caller's tenant only: another company's invoices are never consulted.
 */
export async function findPossibleDuplicate(
  ctx: Ctx,
  input: PossibleDuplicateInput,
): Promise<PossibleDuplicate> {
  requirePermission(ctx, 'tickets.open');
  if (!ctx.tenantId) throw new AppError('forbidden', 'no tenant');
  const vat = checkVat(input.supplierVat);
  const key = vat.ok
    ? invoiceKeyOf({ supplierVat: vat.vat, invoiceNumber: input.invoiceNumber, issueDate: input.issueDate })
    : null;
  if (!key) return { duplicate: false, number: null };
  const tenantId = new Types.ObjectId(ctx.tenantId);
  const found = await InvoiceKey.findOne({ tenantId, key }).lean();
  if (!found) return { duplicate: false, number: null };
  const visible = await findTicket(ctx, String(found.ticketId));
  return { duplicate: true, number: visible ? visible.number : null };
}
