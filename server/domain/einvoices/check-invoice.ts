import { checkVat, normalizeVat, vatWithoutPrefix } from '../tickets/vat.js';
import { multiplyDecimals, roundDecimal, sumDecimals, withinTolerance } from './decimal.js';
import { finding } from './findings.js';
import type { EInvoice, EInvoiceFormat, Finding } from './types.js';

/**
 * The checks a BPO adds to a read invoice, as findings (rule ids `bpo.*`):
 *
 * - `bpo.lines_vs_summary`: the lines' net amounts add up to the VAT summary's taxable amounts;
 * - `bpo.summary_tax`: each VAT summary row's tax is its taxable amount times its rate;
 * - `bpo.total`: the stated total with VAT equals the VAT summary's taxable + tax. An error for
 *   UBL (EN 16931 requires it); a warning for FatturaPA, whose `ImportoTotaleDocumento` may
 *   legitimately differ (stamp duty and `Arrotondamento` are allowed for; other cases exist);
 * - `bpo.due_before_issue`: no due date before the issue date;
 * - `bpo.supplier_vat`: the supplier's VAT number is valid for its country (tickets/vat.ts; the
 *   message is the VAT check's own, `exact.vat.*`);
 * - `bpo.buyer`: the buyer is the client the file was sent for: one of the buyer's identifiers
 *   names one of the client's VAT numbers (FatturaPA `CessionarioCommittente` IdFiscaleIVA or
 *   CodiceFiscale; UBL `AccountingCustomerParty` PartyTaxScheme CompanyID, PartyLegalEntity
 *   CompanyID or EndpointID, OIOUBL's DK:CVR and DK:SE included), compared as the duplicate rule
 *   compares supplier VAT numbers (tickets/vat.ts `vatWithoutPrefix`: a Danish CVR number matches
 *   DK + it, an Italian company's codice fiscale its partita IVA); when the client has no VAT
 *   number on file, `bpo.buyer_unchecked` (info) says so.
 *
 * Amounts are compared exactly (decimal.ts) within `TOLERANCE` (0.01).
 */
export const TOLERANCE = '0.01';

export interface InvoiceCheckInput {
  format: EInvoiceFormat;
  invoice: EInvoice;
  /** The client (tenant) the file was sent for: its VAT numbers, normalised or not. */
  client: { vatNumbers: string[]; name?: string };
}

/** `bpo.lines_vs_summary`. */
function checkLinesVsSummary(invoice: EInvoice, currency: string): Finding[] {
  const summary = invoice.vatSummary;
  const lineTotals = invoice.lines.map((l) => l.total).filter((t): t is string => t !== undefined);
  if (lineTotals.length === 0 || summary.length === 0) return [];
  const lines = sumDecimals(lineTotals);
  const taxable = sumDecimals(summary.map((s) => s.taxable));
  if (withinTolerance(lines, taxable, TOLERANCE)) return [];
  return [
    finding(
      'error',
      'bpo.lines_vs_summary',
      'einvoices.bpo.lines_vs_summary',
      { lines, taxable, currency },
      invoice.location,
    ),
  ];
}

/** `bpo.summary_tax`. */
function checkSummaryTax(invoice: EInvoice, currency: string): Finding[] {
  const findings: Finding[] = [];
  for (const row of invoice.vatSummary) {
    if (row.rate === undefined) continue;
    const expected = multiplyDecimals(multiplyDecimals(row.taxable, row.rate), '0.01');
    if (!withinTolerance(row.tax, expected, TOLERANCE))
      findings.push(
        finding(
          'error',
          'bpo.summary_tax',
          'einvoices.bpo.summary_tax',
          {
            rate: row.rate,
            taxable: row.taxable,
            tax: row.tax,
            expected: roundDecimal(expected, 2),
            currency,
          },
          row.location ?? invoice.location,
        ),
      );
  }
  return findings;
}

/** `bpo.total`. */
function checkTotal(format: EInvoiceFormat, invoice: EInvoice, currency: string): Finding[] {
  const summary = invoice.vatSummary;
  const total = invoice.total;
  if (total === undefined || invoice.totalSource !== 'document' || summary.length === 0) return [];
  const computed = sumDecimals(summary.flatMap((s) => [s.taxable, s.tax]));
  // FatturaPA: the document total may include the stamp duty (when charged on) and a rounding.
  const extras = [invoice.stampDuty, invoice.rounding].filter((v): v is string => v !== undefined);
  const candidates = [
    computed,
    sumDecimals([computed, ...extras]),
    ...(invoice.rounding ? [sumDecimals([computed, invoice.rounding])] : []),
  ];
  if (candidates.some((c) => withinTolerance(total, c, TOLERANCE))) return [];
  return [
    finding(
      format === 'fatturapa' ? 'warning' : 'error',
      'bpo.total',
      format === 'fatturapa' ? 'einvoices.bpo.total_fatturapa' : 'einvoices.bpo.total',
      { total, computed, currency },
      invoice.location,
    ),
  ];
}

/** `bpo.due_before_issue`. */
function checkDueDates(invoice: EInvoice): Finding[] {
  const issued = invoice.issueDate;
  if (!issued) return [];
  return invoice.dueDates
    .filter((due) => due.date < issued)
    .map((due) =>
      finding(
        'error',
        'bpo.due_before_issue',
        'einvoices.bpo.due_before_issue',
        { due: due.date, issued },
        invoice.location,
      ),
    );
}

/** `bpo.supplier_vat`. */
function checkSupplierVat(invoice: EInvoice): Finding[] {
  if (!invoice.supplier.vat) return [];
  const checked = checkVat(invoice.supplier.vat);
  if (checked.ok) return [];
  return [
    finding(
      'error',
      'bpo.supplier_vat',
      checked.key,
      { ...checked.params, vat: checked.vat },
      invoice.location,
    ),
  ];
}

/** The buyer's identifiers as the duplicate rule compares VAT numbers (without a country prefix). */
function buyerIds(invoice: EInvoice): string[] {
  const ids = [invoice.buyer.vat, ...invoice.buyer.otherIds.map((i) => i.id)];
  return ids.filter((id): id is string => Boolean(id)).map(vatWithoutPrefix);
}

/** `bpo.buyer` / `bpo.buyer_unchecked`. */
function checkBuyer(invoice: EInvoice, client: InvoiceCheckInput['client']): Finding[] {
  const buyerVat = invoice.buyer.vat ?? invoice.buyer.otherIds[0]?.id ?? '';
  const clientVats = client.vatNumbers.map(vatWithoutPrefix).filter(Boolean);
  if (clientVats.length === 0)
    return [
      finding(
        'info',
        'bpo.buyer_unchecked',
        'einvoices.bpo.buyer_unchecked',
        { buyer: invoice.buyer.name ?? '', vat: buyerVat },
        invoice.location,
      ),
    ];
  if (buyerIds(invoice).some((id) => clientVats.includes(id))) return [];
  return [
    finding(
      'error',
      'bpo.buyer',
      'einvoices.bpo.buyer',
      {
        buyer: invoice.buyer.name ?? '',
        vat: buyerVat,
        client: client.name ?? '',
        clientVat: client.vatNumbers.map(normalizeVat).join(', '),
      },
      invoice.location,
    ),
  ];
}

export function checkInvoice({ format, invoice, client }: InvoiceCheckInput): Finding[] {
  const currency = invoice.currency ?? '';
  return [
    ...checkLinesVsSummary(invoice, currency),
    ...checkSummaryTax(invoice, currency),
    ...checkTotal(format, invoice, currency),
    ...checkDueDates(invoice),
    ...checkSupplierVat(invoice),
    ...checkBuyer(invoice, client),
  ];
}
