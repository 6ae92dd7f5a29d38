import { normalizeVat } from '../tickets/vat.js';
import { sumDecimals } from './decimal.js';
import { finding } from './findings.js';
import { textsOf, valueReader, type ValueReader } from './read-values.js';
import { ticketFieldsOf } from './ticket-fields.js';
import type { DueDate, EInvoice, Finding, InvoiceLine, Party, PaymentTerms, VatSummary } from './types.js';
import { all, at, child, children, locationOf, text, textAt } from './xml-nav.js';

/**
 * UBL 2.1 `Invoice` and `CreditNote`, as Peppol BIS Billing 3.0 and OIOUBL 2.1 write them
 * (elements matched by local name; the root's namespace must be UBL's).
 *
 * BT-1 `cbc:ID`, BT-2 `cbc:IssueDate`, BT-5 `cbc:DocumentCurrencyCode`, BT-9 `cbc:DueDate` or
 * (OIOUBL, and credit notes) `cac:PaymentMeans/cbc:PaymentDueDate`, BT-13 `cac:OrderReference/
 * cbc:ID`, BT-27 `PartyLegalEntity/RegistrationName` (OIOUBL: `PartyName/Name`), BT-31
 * `PartyTaxScheme/CompanyID` (OIOUBL: `schemeID` `DK:SE` or `DK:CVR`; without a VAT number, a
 * Danish `EndpointID` or legal entity id, whose VAT number is DK + the CVR/SE number), BT-44 /
 * BT-48 the buyer's, BT-112 `LegalMonetaryTotal/TaxInclusiveAmount`, BT-115 `PayableAmount`,
 * the lines, `TaxTotal/TaxSubtotal` and a credit note's `BillingReference/
 * InvoiceDocumentReference/ID`. Type code 381 is a credit note also under an `Invoice` root.
 */

export type UblFormat = 'peppol-bis3' | 'oioubl' | 'ubl';

export interface UblReading {
  format: UblFormat;
  /** `cbc:CustomizationID` as written. */
  customization?: string;
  invoices: EInvoice[];
  findings: Finding[];
}

const UBL_NS = 'urn:oasis:names:specification:ubl:schema:xsd:';
const CREDIT_NOTE_CODES = ['381', '396', '532'];

/** Whether the document is a UBL invoice or credit note (root name; the namespace is checked when reading). */
export const isUbl = (document: Document): boolean =>
  ['Invoice', 'CreditNote'].includes(document.documentElement?.localName ?? '');

export function formatOf(customization: string | undefined, profile: string | undefined): UblFormat {
  if (customization && /peppol\.eu:2017:poacc:billing:3\.0/.test(customization)) return 'peppol-bis3';
  if ((customization && /OIOUBL/i.test(customization)) || (profile && /nesubl\.eu|OIOUBL/i.test(profile)))
    return 'oioubl';
  return 'ubl';
}

/** Identifier schemes whose value is a Danish CVR or SE number (VAT number: DK + it). */
const DANISH_SCHEMES = ['DK:CVR', 'DK:SE', '0184', '0198'];
/** Identifier schemes whose value is an Italian VAT number (partita IVA). */
const ITALIAN_SCHEMES = ['9906', '0211'];

function vatFrom(value: string, scheme: string | undefined, country: string | undefined): string | undefined {
  const v = normalizeVat(value);
  if (/^[A-Z]{2}/.test(v)) return v;
  if (scheme && DANISH_SCHEMES.includes(scheme.toUpperCase())) return `DK${v}`;
  if (scheme && ITALIAN_SCHEMES.includes(scheme)) return `IT${v}`;
  return country ? `${country}${v}` : undefined;
}

function partyOf(role: Element | undefined): Party {
  const party = child(role, 'Party');
  const result: Party = { otherIds: [] };
  const name = textAt(party, 'PartyLegalEntity', 'RegistrationName') ?? textAt(party, 'PartyName', 'Name');
  if (name) result.name = name;
  const country =
    textAt(party, 'PostalAddress', 'Country', 'IdentificationCode')?.toUpperCase() ??
    textAt(party, 'PartyLegalEntity', 'RegistrationAddress', 'Country', 'IdentificationCode')?.toUpperCase();
  if (country) result.country = country;
  const ids: { scheme?: string; id: string; taxScheme?: string }[] = [];
  for (const el of all(party, 'PartyTaxScheme')) {
    const id = child(el, 'CompanyID');
    const value = text(id);
    if (value)
      ids.push({
        id: value,
        scheme: id?.getAttribute('schemeID') ?? undefined,
        taxScheme: textAt(el, 'TaxScheme', 'ID') ?? 'VAT',
      });
  }
  const legal = child(child(party, 'PartyLegalEntity'), 'CompanyID');
  const endpoint = child(party, 'EndpointID');
  for (const el of [legal, endpoint]) {
    const value = text(el);
    if (value) ids.push({ id: value, scheme: el?.getAttribute('schemeID') ?? undefined });
  }
  // BT-31 first (a VAT tax scheme), then a Danish or Italian registration number standing for it.
  const vatId =
    ids.find((i) => i.taxScheme && /^(VAT|MOMS|63)$/i.test(i.taxScheme)) ??
    ids.find((i) => i.taxScheme) ??
    ids.find((i) => i.scheme && [...DANISH_SCHEMES, ...ITALIAN_SCHEMES].includes(i.scheme.toUpperCase()));
  const vat = vatId ? vatFrom(vatId.id, vatId.scheme, vatId.taxScheme ? country : undefined) : undefined;
  if (vat) result.vat = vat;
  for (const i of ids)
    if (i !== vatId) result.otherIds.push(i.scheme ? { scheme: i.scheme, id: i.id } : { id: i.id });
  return result;
}

/** The document being read. */
interface UblContext {
  root: Element;
  rootPath: string;
  isCreditNoteRoot: boolean;
  values: ValueReader;
}

/** BT-9 and the payment means' due dates, each once. */
function dueDatesOf(ctx: UblContext): DueDate[] {
  const dueDates: DueDate[] = [];
  for (const el of [child(ctx.root, 'DueDate'), ...all(ctx.root, 'PaymentMeans', 'PaymentDueDate')]) {
    const due = ctx.values.date(el, el?.localName ?? 'DueDate');
    if (due && !dueDates.some((d) => d.date === due)) dueDates.push({ date: due });
  }
  return dueDates;
}

/** `cac:InvoiceLine` / `cac:CreditNoteLine`. */
function linesOf(ctx: UblContext): InvoiceLine[] {
  const { decimal } = ctx.values;
  const { rootPath, isCreditNoteRoot } = ctx;
  const lineName = isCreditNoteRoot ? 'CreditNoteLine' : 'InvoiceLine';
  const lineEls = children(ctx.root, lineName);
  return lineEls.map((el, i) => {
    const path = lineEls.length > 1 ? `${rootPath}/${lineName}[${i + 1}]` : `${rootPath}/${lineName}`;
    const line: InvoiceLine = { location: locationOf(el, path) };
    const id = textAt(el, 'ID');
    if (id) line.number = id;
    const description = [textAt(el, 'Item', 'Name'), textAt(el, 'Item', 'Description')]
      .filter(Boolean)
      .join(': ');
    if (description) line.description = description;
    const quantity = decimal(
      child(el, isCreditNoteRoot ? 'CreditedQuantity' : 'InvoicedQuantity'),
      'Quantity',
      path,
    );
    if (quantity) line.quantity = quantity;
    const price = decimal(at(el, 'Price', 'PriceAmount'), 'PriceAmount', `${path}/Price/PriceAmount`);
    if (price) line.unitPrice = price;
    const total = decimal(
      child(el, 'LineExtensionAmount'),
      'LineExtensionAmount',
      `${path}/LineExtensionAmount`,
    );
    if (total) line.total = total;
    const rate = decimal(
      at(el, 'Item', 'ClassifiedTaxCategory', 'Percent') ??
        at(el, 'TaxTotal', 'TaxSubtotal', 'TaxCategory', 'Percent'),
      'Percent',
    );
    if (rate) line.vatRate = rate;
    return line;
  });
}

/** The VAT breakdown in the document currency (BIS 3 adds a TaxTotal in the VAT accounting currency without subtotals). */
function vatSummaryOf(ctx: UblContext, currency: string | undefined): VatSummary[] {
  const { decimal } = ctx.values;
  return all(ctx.root, 'TaxTotal', 'TaxSubtotal')
    .filter((el) => {
      const cur = child(el, 'TaxAmount')?.getAttribute('currencyID');
      return !cur || !currency || cur.toUpperCase() === currency;
    })
    .map((el) => {
      const summary: VatSummary = {
        taxable: decimal(child(el, 'TaxableAmount'), 'TaxableAmount') ?? '0',
        tax: decimal(child(el, 'TaxAmount'), 'TaxAmount') ?? '0',
        location: locationOf(el),
      };
      const rate = decimal(at(el, 'TaxCategory', 'Percent') ?? child(el, 'Percent'), 'Percent');
      if (rate) summary.rate = rate;
      const category = textAt(el, 'TaxCategory', 'ID');
      if (category) summary.category = category;
      return summary;
    });
}

/** `cac:LegalMonetaryTotal`: BT-112 (or the VAT summary's sum) and BT-115. */
function totalsOf(ctx: UblContext, vatSummary: VatSummary[]) {
  const totals = child(ctx.root, 'LegalMonetaryTotal');
  const stated = ctx.values.decimal(child(totals, 'TaxInclusiveAmount'), 'TaxInclusiveAmount (BT-112)');
  const payable = ctx.values.decimal(child(totals, 'PayableAmount'), 'PayableAmount (BT-115)');
  let total = stated;
  let totalSource: EInvoice['totalSource'] = stated === undefined ? undefined : 'document';
  if (total === undefined && vatSummary.length > 0) {
    total = sumDecimals(vatSummary.flatMap((s) => [s.taxable, s.tax]));
    totalSource = 'vat_summary';
  }
  if (total === undefined && payable === undefined)
    ctx.values.findings.push(
      finding(
        'error',
        'ubl.missing',
        'einvoices.ubl.missing',
        { field: 'cac:LegalMonetaryTotal (BT-112)' },
        locationOf(totals ?? ctx.root),
      ),
    );
  return { total, totalSource, payable };
}

/** `cac:PaymentMeans` and `cac:PaymentTerms`; undefined when the file states none. */
function paymentTermsOf(root: Element): PaymentTerms | undefined {
  const terms: PaymentTerms = { means: [], accounts: [] };
  for (const means of children(root, 'PaymentMeans')) {
    const code = textAt(means, 'PaymentMeansCode');
    if (code && !terms.means.includes(code)) terms.means.push(code);
    const account = textAt(means, 'PayeeFinancialAccount', 'ID');
    if (account && !terms.accounts.includes(account)) terms.accounts.push(account);
  }
  const note = all(root, 'PaymentTerms', 'Note').map(text).filter(Boolean).join('\n');
  if (note) terms.note = note;
  return terms.means.length > 0 || terms.note || terms.accounts.length > 0 ? terms : undefined;
}

/** The header: number, dates, currency, type and the parties (BT-1, 2, 5, 3, 27/31, 44/48). */
function headerOf(ctx: UblContext) {
  const { root, values } = ctx;
  const required = (value: string | undefined, field: string) => {
    if (value === undefined)
      values.findings.push(
        finding('error', 'ubl.missing', 'einvoices.ubl.missing', { field }, locationOf(root)),
      );
    return value;
  };
  const number = required(textAt(root, 'ID'), 'cbc:ID (BT-1)');
  const issueDate = values.date(child(root, 'IssueDate'), 'cbc:IssueDate (BT-2)');
  required(textAt(root, 'IssueDate'), 'cbc:IssueDate (BT-2)');
  const currency = required(
    textAt(root, 'DocumentCurrencyCode'),
    'cbc:DocumentCurrencyCode (BT-5)',
  )?.toUpperCase();
  const typeCode = textAt(root, ctx.isCreditNoteRoot ? 'CreditNoteTypeCode' : 'InvoiceTypeCode');
  const supplier = partyOf(child(root, 'AccountingSupplierParty'));
  const buyer = partyOf(child(root, 'AccountingCustomerParty'));
  if (!supplier.vat)
    values.findings.push(
      finding(
        'error',
        'ubl.supplier_vat',
        'einvoices.ubl.no_supplier_vat',
        {},
        locationOf(child(root, 'AccountingSupplierParty') ?? root),
      ),
    );
  return { number, issueDate, currency, typeCode, supplier, buyer };
}

/** Reads a parsed UBL invoice or credit note. */
export function readUbl(document: Document): UblReading {
  const root = document.documentElement;
  const findings: Finding[] = [];
  const customization = textAt(root, 'CustomizationID');
  const format = formatOf(customization, textAt(root, 'ProfileID'));
  const base = customization ? { format, customization } : { format };
  if (!isUbl(document) || !(root.namespaceURI ?? '').startsWith(UBL_NS)) {
    findings.push(
      finding(
        'error',
        'ubl.root',
        'einvoices.ubl.root',
        { root: root?.localName ?? '', namespace: root?.namespaceURI ?? '' },
        locationOf(root),
      ),
    );
    return { ...base, invoices: [], findings };
  }
  const isCreditNoteRoot = root.localName === 'CreditNote';
  const ctx: UblContext = {
    root,
    rootPath: `/${root.localName}`,
    isCreditNoteRoot,
    values: valueReader(findings, 'ubl'),
  };
  const { number, issueDate, currency, typeCode, supplier, buyer } = headerOf(ctx);
  const dueDates = dueDatesOf(ctx);
  const lines = linesOf(ctx);
  const vatSummary = vatSummaryOf(ctx, currency);
  const { total, totalSource, payable } = totalsOf(ctx, vatSummary);
  const terms = paymentTermsOf(root);

  const kind: EInvoice['kind'] =
    isCreditNoteRoot || (typeCode && CREDIT_NOTE_CODES.includes(typeCode)) ? 'credit_note' : 'invoice';
  const invoice: Omit<EInvoice, 'fields'> = {
    kind,
    supplier,
    buyer,
    dueDates,
    poNumbers: textsOf(all(root, 'OrderReference', 'ID')),
    corrects: textsOf(all(root, 'BillingReference', 'InvoiceDocumentReference', 'ID')),
    lines,
    vatSummary,
    location: locationOf(root, ctx.rootPath),
  };
  if (typeCode) invoice.documentType = typeCode;
  if (number) invoice.number = number;
  if (issueDate) invoice.issueDate = issueDate;
  if (currency) invoice.currency = currency;
  if (total !== undefined) invoice.total = total;
  if (totalSource) invoice.totalSource = totalSource;
  if (payable !== undefined) invoice.amountDue = payable;
  if (terms) invoice.paymentTerms = terms;
  return { ...base, invoices: [{ ...invoice, fields: ticketFieldsOf(invoice) }], findings };
}
