import { currencyCodes } from '../tickets/currencies.js';
import { toAmount } from './decimal.js';
import type { EInvoice, InvoiceTicketFields } from './types.js';

const currencies = new Set<string>(currencyCodes);
const PO_MAX = 60; // the ticket's poNumber limit (tickets/schemas.ts)

/**
 * The invoice ticket's fields (tickets/schemas.ts `invoiceFields`) filled from a read invoice:
 * only those the file has, the ticket's own rules (VAT format, due date after issue) are checked
 * where the ticket is made. `dueDate` is the earliest due date; `amount` the total with VAT (a
 * credit note's, as a positive amount: the ticket says it is a credit note); `poNumber` the first
 * order reference.
 */
export function ticketFieldsOf(invoice: Omit<EInvoice, 'fields'>): InvoiceTicketFields {
  const fields: InvoiceTicketFields = {};
  const supplierName = invoice.supplier.name?.slice(0, 200);
  if (supplierName) fields.supplierName = supplierName;
  if (invoice.supplier.vat) fields.supplierVat = invoice.supplier.vat;
  if (invoice.number) fields.invoiceNumber = invoice.number.slice(0, 60);
  if (invoice.issueDate) fields.issueDate = invoice.issueDate;
  const due = invoice.dueDates.map((d) => d.date).sort()[0];
  if (due) fields.dueDate = due;
  const total = invoice.total ?? invoice.amountDue;
  if (total !== undefined) fields.amount = Math.abs(toAmount(total));
  if (invoice.currency && currencies.has(invoice.currency))
    fields.currency = invoice.currency as InvoiceTicketFields['currency'];
  const po = invoice.poNumbers[0];
  if (po) fields.poNumber = po.slice(0, PO_MAX);
  return fields;
}
