import { normalizeVat } from '../tickets/vat.js';
import { sumDecimals } from './decimal.js';
import { finding } from './findings.js';
import { textsOf, valueReader, type ValueReader } from './read-values.js';
import { ticketFieldsOf } from './ticket-fields.js';
import type { DueDate, EInvoice, Finding, InvoiceLine, Party, PaymentTerms, VatSummary } from './types.js';
import { all, at, child, children, locationOf, textAt } from './xml-nav.js';

/**
 * FatturaPA 1.2.x (FPR12 between businesses, FPA12 to public bodies): one invoice per
 * `FatturaElettronicaBody` (a file may hold several, all from the header's supplier to its
 * buyer). Elements are matched by local name under the root `FatturaElettronica`, whatever its
 * namespace (1.2, 1.2.1, 1.2.2 and 1.2.3 files write `p:`, `ns2:`, `a:` or none).
 *
 * Paths (Schema_del_file_xml_FatturaPA_v1.2.2.xsd): supplier `CedentePrestatore/DatiAnagrafici`
 * (`IdFiscaleIVA/IdPaese`+`IdCodice`, `Anagrafica/Denominazione` or `Nome`+`Cognome`), buyer
 * `CessionarioCommittente/DatiAnagrafici`; per body `DatiGenerali/DatiGeneraliDocumento`
 * (`TipoDocumento`, `Divisa`, `Data`, `Numero`, `ImportoTotaleDocumento`: optional, when absent
 * the total is the sum of `DatiRiepilogo` `ImponibileImporto` + `Imposta`), `DatiOrdineAcquisto/
 * IdDocumento` (PO), `DatiFattureCollegate/IdDocumento` (the invoice a credit note corrects),
 * `DatiBeniServizi/DettaglioLinee` and `DatiRiepilogo`, `DatiPagamento/DettaglioPagamento`
 * (`DataScadenzaPagamento`, `ImportoPagamento`). TD04 (and TD08, simplified) are credit notes.
 */

export const CREDIT_NOTE_TYPES = ['TD04', 'TD08'];

export interface FatturaPAReading {
  /** The root's `versione` (FPR12, FPA12). */
  version?: string;
  invoices: EInvoice[];
  findings: Finding[];
}

/** Whether the document is a FatturaPA (its root's local name). */
export const isFatturaPA = (document: Document): boolean =>
  document.documentElement?.localName === 'FatturaElettronica';

function partyOf(subject: Element | undefined): Party {
  const data = child(subject, 'DatiAnagrafici');
  const idVat = child(data, 'IdFiscaleIVA');
  const country = textAt(idVat, 'IdPaese')?.toUpperCase();
  const code = textAt(idVat, 'IdCodice');
  const registry = child(data, 'Anagrafica');
  const name =
    textAt(registry, 'Denominazione') ??
    ([textAt(registry, 'Nome'), textAt(registry, 'Cognome')].filter(Boolean).join(' ') || undefined);
  const party: Party = { otherIds: [] };
  if (name) party.name = name;
  if (country && code) party.vat = normalizeVat(`${country}${code}`);
  if (country) party.country = country;
  const fiscalCode = textAt(data, 'CodiceFiscale');
  if (fiscalCode) party.otherIds.push({ scheme: 'IT:CF', id: fiscalCode });
  return party;
}

/** Where one body is and what the whole file says around it. */
interface BodyContext {
  body: Element;
  index: number;
  bodyPath: string;
  supplier: Party;
  buyer: Party;
  values: ValueReader;
}

/** A required value: a finding when it is missing. */
function required(ctx: BodyContext, value: string | undefined, field: string, where: Element | undefined) {
  if (value === undefined)
    ctx.values.findings.push(
      finding(
        'error',
        'fatturapa.missing',
        'einvoices.fatturapa.missing',
        { field, invoice: ctx.index + 1 },
        locationOf(where ?? ctx.body, where ? undefined : ctx.bodyPath),
      ),
    );
  return value;
}

/** `DatiGeneraliDocumento`: type, number, date, currency. */
function documentData(ctx: BodyContext, doc: Element | undefined) {
  const documentType = required(ctx, textAt(doc, 'TipoDocumento'), 'TipoDocumento', doc);
  const number = required(ctx, textAt(doc, 'Numero'), 'Numero', doc);
  const issueDate = ctx.values.date(child(doc, 'Data'), 'Data');
  required(ctx, textAt(doc, 'Data'), 'Data', doc);
  const currency = required(ctx, textAt(doc, 'Divisa'), 'Divisa', doc)?.toUpperCase();
  return { documentType, number, issueDate, currency };
}

/** `DatiBeniServizi/DettaglioLinee`. */
function linesOf(ctx: BodyContext, goods: Element | undefined): InvoiceLine[] {
  const { decimal } = ctx.values;
  const lineEls = children(goods, 'DettaglioLinee');
  const goodsPath = `${ctx.bodyPath}/DatiBeniServizi`;
  return lineEls.map((el, i) => {
    const path = lineEls.length > 1 ? `${goodsPath}/DettaglioLinee[${i + 1}]` : `${goodsPath}/DettaglioLinee`;
    const line: InvoiceLine = { location: locationOf(el, path) };
    const num = textAt(el, 'NumeroLinea');
    if (num) line.number = num;
    const description = textAt(el, 'Descrizione');
    if (description) line.description = description;
    const quantity = decimal(child(el, 'Quantita'), 'Quantita', `${path}/Quantita`);
    if (quantity) line.quantity = quantity;
    const unitPrice = decimal(child(el, 'PrezzoUnitario'), 'PrezzoUnitario', `${path}/PrezzoUnitario`);
    if (unitPrice) line.unitPrice = unitPrice;
    const total = decimal(child(el, 'PrezzoTotale'), 'PrezzoTotale', `${path}/PrezzoTotale`);
    if (total) line.total = total;
    const rate = decimal(child(el, 'AliquotaIVA'), 'AliquotaIVA', `${path}/AliquotaIVA`);
    if (rate) line.vatRate = rate;
    return line;
  });
}

/** `DatiBeniServizi/DatiRiepilogo`. */
function vatSummaryOf(ctx: BodyContext, goods: Element | undefined): VatSummary[] {
  const { decimal } = ctx.values;
  return children(goods, 'DatiRiepilogo').map((el) => {
    const summary: VatSummary = {
      taxable: decimal(child(el, 'ImponibileImporto'), 'ImponibileImporto') ?? '0',
      tax: decimal(child(el, 'Imposta'), 'Imposta') ?? '0',
      location: locationOf(el),
    };
    const rate = decimal(child(el, 'AliquotaIVA'), 'AliquotaIVA');
    if (rate) summary.rate = rate;
    const nature = textAt(el, 'Natura');
    if (nature) summary.category = nature;
    return summary;
  });
}

/** `ImportoTotaleDocumento`, or (when absent) the VAT summary's taxable + tax. */
function totalOf(ctx: BodyContext, doc: Element | undefined, vatSummary: VatSummary[]) {
  const stated = ctx.values.decimal(child(doc, 'ImportoTotaleDocumento'), 'ImportoTotaleDocumento');
  let total: string | undefined = stated;
  let totalSource: EInvoice['totalSource'] = stated === undefined ? undefined : 'document';
  if (stated === undefined && vatSummary.length > 0) {
    total = sumDecimals(vatSummary.flatMap((s) => [s.taxable, s.tax]));
    totalSource = 'vat_summary';
    ctx.values.findings.push(
      finding(
        'info',
        'fatturapa.total_from_summary',
        'einvoices.fatturapa.total_from_summary',
        { total, invoice: ctx.index + 1 },
        locationOf(doc),
      ),
    );
  }
  return { total, totalSource };
}

/** `DatiPagamento`: due dates, instalment amounts and terms. */
function paymentOf(ctx: BodyContext) {
  const payments = children(ctx.body, 'DatiPagamento');
  const dueDates: DueDate[] = [];
  const amounts: string[] = [];
  const terms: PaymentTerms = { means: [], accounts: [] };
  for (const payment of payments) {
    terms.condition ??= textAt(payment, 'CondizioniPagamento');
    for (const detail of children(payment, 'DettaglioPagamento')) {
      const means = textAt(detail, 'ModalitaPagamento');
      if (means && !terms.means.includes(means)) terms.means.push(means);
      const iban = textAt(detail, 'IBAN');
      if (iban && !terms.accounts.includes(iban)) terms.accounts.push(iban);
      const amount = ctx.values.decimal(child(detail, 'ImportoPagamento'), 'ImportoPagamento');
      if (amount) amounts.push(amount);
      const due = ctx.values.date(child(detail, 'DataScadenzaPagamento'), 'DataScadenzaPagamento');
      if (due) dueDates.push(amount ? { date: due, amount } : { date: due });
    }
  }
  return { dueDates, amounts, terms: payments.length > 0 ? terms : undefined };
}

/** One `FatturaElettronicaBody`: one invoice. */
function readBody(ctx: BodyContext): EInvoice {
  const { body } = ctx;
  const general = child(body, 'DatiGenerali');
  const doc = child(general, 'DatiGeneraliDocumento');
  const { documentType, number, issueDate, currency } = documentData(ctx, doc);
  const goods = child(body, 'DatiBeniServizi');
  const lines = linesOf(ctx, goods);
  const vatSummary = vatSummaryOf(ctx, goods);
  const { total, totalSource } = totalOf(ctx, doc, vatSummary);
  const { dueDates, amounts, terms } = paymentOf(ctx);

  const kind: EInvoice['kind'] =
    documentType && CREDIT_NOTE_TYPES.includes(documentType) ? 'credit_note' : 'invoice';
  const invoice: Omit<EInvoice, 'fields'> = {
    kind,
    supplier: ctx.supplier,
    buyer: ctx.buyer,
    dueDates,
    poNumbers: textsOf(all(general, 'DatiOrdineAcquisto', 'IdDocumento')),
    corrects: textsOf(all(general, 'DatiFattureCollegate', 'IdDocumento')),
    lines,
    vatSummary,
    location: locationOf(body, ctx.bodyPath),
  };
  if (documentType) invoice.documentType = documentType;
  if (number) invoice.number = number;
  if (issueDate) invoice.issueDate = issueDate;
  if (currency) invoice.currency = currency;
  if (total !== undefined) invoice.total = total;
  if (totalSource) invoice.totalSource = totalSource;
  if (amounts.length > 0) invoice.amountDue = sumDecimals(amounts);
  const stampDuty = ctx.values.decimal(at(doc, 'DatiBollo', 'ImportoBollo'), 'ImportoBollo');
  if (stampDuty) invoice.stampDuty = stampDuty;
  const rounding = ctx.values.decimal(child(doc, 'Arrotondamento'), 'Arrotondamento');
  if (rounding) invoice.rounding = rounding;
  if (terms) invoice.paymentTerms = terms;
  return { ...invoice, fields: ticketFieldsOf(invoice) };
}

/** Reads a parsed FatturaPA: one invoice per body, with what was found wrong on the way. */
export function readFatturaPA(document: Document): FatturaPAReading {
  const root = document.documentElement;
  const findings: Finding[] = [];
  if (!isFatturaPA(document)) {
    findings.push(
      finding('error', 'fatturapa.root', 'einvoices.fatturapa.root', { root: root?.localName ?? '' }),
    );
    return { invoices: [], findings };
  }
  const version = root.getAttribute('versione') ?? undefined;
  if (version !== 'FPR12' && version !== 'FPA12')
    findings.push(
      finding(
        'warning',
        'fatturapa.version',
        'einvoices.fatturapa.version',
        { version: version ?? '' },
        locationOf(root),
      ),
    );
  const header = child(root, 'FatturaElettronicaHeader');
  if (!header)
    findings.push(
      finding('error', 'fatturapa.header', 'einvoices.fatturapa.no_header', {}, locationOf(root)),
    );
  const supplier = partyOf(child(header, 'CedentePrestatore'));
  const buyer = partyOf(child(header, 'CessionarioCommittente'));
  const bodies = children(root, 'FatturaElettronicaBody');
  if (bodies.length === 0)
    findings.push(finding('error', 'fatturapa.body', 'einvoices.fatturapa.no_body', {}, locationOf(root)));

  const values = valueReader(findings, 'fatturapa');
  const invoices = bodies.map((body, index) =>
    readBody({
      body,
      index,
      bodyPath:
        bodies.length > 1
          ? `/FatturaElettronica/FatturaElettronicaBody[${index + 1}]`
          : '/FatturaElettronica/FatturaElettronicaBody',
      supplier,
      buyer,
      values,
    }),
  );

  if (!supplier.vat)
    findings.push(
      finding(
        'error',
        'fatturapa.supplier_vat',
        'einvoices.fatturapa.no_supplier_vat',
        {},
        locationOf(at(header, 'CedentePrestatore') ?? header ?? root),
      ),
    );
  return version ? { version, invoices, findings } : { invoices, findings };
}
