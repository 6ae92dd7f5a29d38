import type { z } from 'zod';
import type { invoiceFields } from '../tickets/schemas.js';

/**
 * What the e-invoice readers return. Amounts are exact decimal strings as written in the file
 * (`decimal.ts` adds and compares them without floating point); `fields` maps one invoice onto the
 * fields the invoice ticket has today (tickets/schemas.ts `invoiceFields`).
 */

/** Where in the file a finding points: line and column (1-based) and the element's path. */
export interface FindingLocation {
  line?: number;
  column?: number;
  path?: string;
}

export type FindingSeverity = 'error' | 'warning' | 'info';

/**
 * One thing found in a file; `messageKey` is a catalogue key read with `params`: `einvoices.*`,
 * or `exact.vat.*` for a supplier VAT number refused by tickets/vat.ts.
 */
export interface Finding {
  severity: FindingSeverity;
  /** A stable identifier of the rule (e.g. `xml.doctype`, `bpo.totals`). */
  rule: string;
  messageKey: string;
  params: Record<string, string | number>;
  location?: FindingLocation;
}

export type EInvoiceFormat = 'fatturapa' | 'peppol-bis3' | 'oioubl' | 'ubl';

export interface Party {
  name?: string;
  /** The VAT number with its country prefix, normalised (tickets/vat.ts normalizeVat). */
  vat?: string;
  /** Another identifier when there is no VAT number (codice fiscale, CVR with scheme, endpoint). */
  otherIds: { scheme?: string; id: string }[];
  country?: string;
}

export interface InvoiceLine {
  number?: string;
  description?: string;
  quantity?: string;
  unitPrice?: string;
  /** The line's net amount. */
  total?: string;
  vatRate?: string;
  location?: FindingLocation;
}

export interface VatSummary {
  rate?: string;
  /** VAT category (UBL) or exemption nature (FatturaPA `Natura`). */
  category?: string;
  taxable: string;
  tax: string;
  location?: FindingLocation;
}

export interface DueDate {
  date: string;
  amount?: string;
}

export interface PaymentTerms {
  /** FatturaPA `CondizioniPagamento` (TP01 instalments, TP02 in full, TP03 advance). */
  condition?: string;
  /** The means of payment as coded in the file (FatturaPA MP05, UBL 30/31/58 ...). */
  means: string[];
  /** Free text (UBL `PaymentTerms/Note`). */
  note?: string;
  /** Where to pay (IBAN), when stated. */
  accounts: string[];
}

/** The fields of the invoice ticket filled from the file (those the file has). */
export type InvoiceTicketFields = Partial<
  Pick<
    z.output<typeof invoiceFields>,
    | 'supplierName'
    | 'supplierVat'
    | 'invoiceNumber'
    | 'issueDate'
    | 'dueDate'
    | 'amount'
    | 'currency'
    | 'poNumber'
  >
>;

export interface EInvoice {
  kind: 'invoice' | 'credit_note';
  /** FatturaPA TipoDocumento (TD01, TD04, ...) or the UBL type code (380, 381, ...). */
  documentType?: string;
  number?: string;
  issueDate?: string;
  currency?: string;
  supplier: Party;
  buyer: Party;
  /** The total with VAT: as the file states it, or the sum of the VAT summary (`totalSource`). */
  total?: string;
  totalSource?: 'document' | 'vat_summary';
  /** FatturaPA: stamp duty (`DatiBollo/ImportoBollo`) and rounding (`Arrotondamento`) of the document. */
  stampDuty?: string;
  rounding?: string;
  /** The amount due (UBL BT-115; FatturaPA: the sum of the payment instalments). */
  amountDue?: string;
  dueDates: DueDate[];
  poNumbers: string[];
  /** Credit notes: the numbers of the invoices they correct. */
  corrects: string[];
  paymentTerms?: PaymentTerms;
  lines: InvoiceLine[];
  vatSummary: VatSummary[];
  fields: InvoiceTicketFields;
  location?: FindingLocation;
}

export interface SignatureInfo {
  /** The signers' certificate subjects, outermost envelope first. */
  signers: string[];
  /** The outermost signature's signing time (CAdES `signingTime`, ISO 8601), when stated. */
  signedAt?: string;
  /** Every signature's value matched its content and signer certificate. */
  verified: boolean;
  /** Always false for now: no trust list is configured, the chain is not checked. */
  trusted: boolean;
  /** How many envelopes were nested (1 for a plain .p7m). */
  layers: number;
  encoding: 'der' | 'base64' | 'pem';
}

export interface EInvoiceFile {
  /** The file's name (inside a ZIP: its path there). */
  name: string;
  /** The ZIP it came in, if any. */
  archive?: string;
  format?: EInvoiceFormat;
  signature?: SignatureInfo;
  invoices: EInvoice[];
  findings: Finding[];
  /** The XML as read (after any signature was taken off), for validate-einvoice.ts. */
  source?: XmlSource;
}

export interface XmlSource {
  bytes: Uint8Array;
  /** The decoded text. */
  text: string;
  /** The root element's local name (`FatturaElettronica`, `Invoice`, `CreditNote`). */
  root: string;
}

export interface EInvoiceReading {
  files: EInvoiceFile[];
  /** Findings about the upload as a whole (a ZIP's entries). */
  findings: Finding[];
}
