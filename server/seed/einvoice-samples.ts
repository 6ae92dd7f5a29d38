/**
 * Generated e-invoice XML for the demo seed, bench/einvoice and the tests (test/domain/einvoices/
 * builders.ts re-exports it): written here, not copied from sample files, so free of
 * third-party licences. VAT numbers are valid (IT01234567897, IT12345678903, DK12345674,
 * DK87654311). `fpLines` / `ublLines` make N consistent lines with their totals.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface FpLine {
  description: string;
  quantity?: string;
  unitPrice: string;
  total: string;
  rate?: string;
}

export interface FpBody {
  type?: string;
  number: string;
  date?: string;
  currency?: string;
  total?: string | null;
  lines?: FpLine[];
  summary?: { rate: string; taxable: string; tax: string; nature?: string }[];
  due?: { date: string; amount: string }[];
  po?: string[];
  corrects?: string[];
}

export interface FpOptions {
  /** Namespace prefix of the root (`p`, `ns2`) or `null` for none. */
  prefix?: string | null;
  version?: string;
  supplier?: { country: string; code: string; name?: string; first?: string; last?: string };
  buyer?: { country: string; code: string; name: string };
  bodies: FpBody[];
  encoding?: string;
}

const FP_NS = 'http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2';

function party(
  tag: string,
  p: { country: string; code: string; name?: string; first?: string; last?: string },
) {
  const who = p.name
    ? `<Denominazione>${esc(p.name)}</Denominazione>`
    : `<Nome>${esc(p.first ?? '')}</Nome><Cognome>${esc(p.last ?? '')}</Cognome>`;
  return `<${tag}><DatiAnagrafici><IdFiscaleIVA><IdPaese>${p.country}</IdPaese><IdCodice>${p.code}</IdCodice></IdFiscaleIVA><Anagrafica>${who}</Anagrafica></DatiAnagrafici><Sede><Indirizzo>Via Roma 1</Indirizzo><CAP>00100</CAP><Comune>Roma</Comune><Nazione>IT</Nazione></Sede></${tag}>`;
}

export function fpBody(b: FpBody): string {
  const lines = b.lines ?? [
    { description: 'Trasporto', quantity: '1.00', unitPrice: '100.00', total: '100.00', rate: '22.00' },
  ];
  const summary = b.summary ?? [{ rate: '22.00', taxable: '100.00', tax: '22.00' }];
  const total = b.total === undefined ? '122.00' : b.total;
  return [
    '<FatturaElettronicaBody><DatiGenerali><DatiGeneraliDocumento>',
    `<TipoDocumento>${b.type ?? 'TD01'}</TipoDocumento><Divisa>${b.currency ?? 'EUR'}</Divisa><Data>${b.date ?? '2026-03-02'}</Data><Numero>${esc(b.number)}</Numero>`,
    total === null ? '' : `<ImportoTotaleDocumento>${total}</ImportoTotaleDocumento>`,
    '<Causale>Servizi di trasporto</Causale></DatiGeneraliDocumento>',
    ...(b.po ?? []).map(
      (po) =>
        `<DatiOrdineAcquisto><RiferimentoNumeroLinea>1</RiferimentoNumeroLinea><IdDocumento>${esc(po)}</IdDocumento></DatiOrdineAcquisto>`,
    ),
    ...(b.corrects ?? []).map(
      (n) =>
        `<DatiFattureCollegate><IdDocumento>${esc(n)}</IdDocumento><Data>2026-01-15</Data></DatiFattureCollegate>`,
    ),
    '</DatiGenerali><DatiBeniServizi>',
    ...lines.map(
      (l, i) =>
        `<DettaglioLinee><NumeroLinea>${i + 1}</NumeroLinea><Descrizione>${esc(l.description)}</Descrizione>${l.quantity ? `<Quantita>${l.quantity}</Quantita>` : ''}<PrezzoUnitario>${l.unitPrice}</PrezzoUnitario><PrezzoTotale>${l.total}</PrezzoTotale><AliquotaIVA>${l.rate ?? '22.00'}</AliquotaIVA></DettaglioLinee>`,
    ),
    ...summary.map(
      (s) =>
        `<DatiRiepilogo><AliquotaIVA>${s.rate}</AliquotaIVA>${s.nature ? `<Natura>${s.nature}</Natura>` : ''}<ImponibileImporto>${s.taxable}</ImponibileImporto><Imposta>${s.tax}</Imposta><EsigibilitaIVA>I</EsigibilitaIVA></DatiRiepilogo>`,
    ),
    '</DatiBeniServizi>',
    b.due === undefined
      ? '<DatiPagamento><CondizioniPagamento>TP02</CondizioniPagamento><DettaglioPagamento><ModalitaPagamento>MP05</ModalitaPagamento><DataScadenzaPagamento>2026-04-01</DataScadenzaPagamento><ImportoPagamento>122.00</ImportoPagamento><IBAN>IT60X0542811101000000123456</IBAN></DettaglioPagamento></DatiPagamento>'
      : b.due.length === 0
        ? ''
        : `<DatiPagamento><CondizioniPagamento>${b.due.length > 1 ? 'TP01' : 'TP02'}</CondizioniPagamento>${b.due
            .map(
              (d) =>
                `<DettaglioPagamento><ModalitaPagamento>MP05</ModalitaPagamento><DataScadenzaPagamento>${d.date}</DataScadenzaPagamento><ImportoPagamento>${d.amount}</ImportoPagamento></DettaglioPagamento>`,
            )
            .join('')}</DatiPagamento>`,
    '</FatturaElettronicaBody>',
  ].join('');
}

/** A FatturaPA 1.2 file as text. */
export function fatturaPA(o: FpOptions): string {
  const prefix = o.prefix === undefined ? 'p' : o.prefix;
  const root = prefix ? `${prefix}:FatturaElettronica` : 'FatturaElettronica';
  const ns = prefix ? `xmlns:${prefix}="${FP_NS}"` : `xmlns="${FP_NS}"`;
  const supplier = o.supplier ?? { country: 'IT', code: '01234567897', name: 'Rossi Trasporti S.r.l.' };
  const buyer = o.buyer ?? { country: 'IT', code: '12345678903', name: 'Bianchi Logistica S.p.A.' };
  // With a default namespace the children would be in it: FatturaPA's children have none, so a
  // file without a prefix declares the namespace on no element at all (as some software writes).
  const nsDecl = prefix ? ` ${ns}` : '';
  return [
    `<?xml version="1.0" encoding="${o.encoding ?? 'UTF-8'}"?>\n`,
    `<${root} versione="${o.version ?? 'FPR12'}"${nsDecl} xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n`,
    '<FatturaElettronicaHeader><DatiTrasmissione><IdTrasmittente><IdPaese>IT</IdPaese><IdCodice>01234567897</IdCodice></IdTrasmittente><ProgressivoInvio>00001</ProgressivoInvio><FormatoTrasmissione>FPR12</FormatoTrasmissione><CodiceDestinatario>0000000</CodiceDestinatario></DatiTrasmissione>',
    party('CedentePrestatore', supplier).replace(
      '</Anagrafica></DatiAnagrafici>',
      '</Anagrafica><RegimeFiscale>RF01</RegimeFiscale></DatiAnagrafici>',
    ),
    party('CessionarioCommittente', buyer),
    '</FatturaElettronicaHeader>\n',
    ...o.bodies.map((b) => `${fpBody(b)}\n`),
    `</${root}>\n`,
  ].join('');
}

export interface UblLine {
  name: string;
  quantity: string;
  price: string;
  total: string;
  percent?: string;
}

export interface UblOptions {
  root?: 'Invoice' | 'CreditNote';
  flavour?: 'peppol' | 'oioubl';
  id?: string;
  issueDate?: string;
  dueDate?: string;
  currency?: string;
  orderRef?: string;
  corrects?: string;
  lines?: UblLine[];
  subtotals?: { taxable: string; tax: string; percent: string; category?: string }[];
  taxInclusive?: string | null;
  payable?: string;
  /** LegalMonetaryTotal's line and tax-exclusive amounts (1000.00 by default). */
  lineExtension?: string;
  supplier?: { name: string; vat: string; country: string };
  buyer?: { name: string; vat: string; country: string };
}

const UBL_CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
const UBL_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
/**
 * OIOUBL 2.1's code lists and identifier schemes (OIOUBL's own rules, phive-rules-oioubl, hold a
 * file to them: code list ids, structured Danish addresses, a buyer contact, bank payment).
 */
const OIO_LIST = 'listAgencyID="320" listID="urn:oioubl:codelist';
const OIO_VAT_SCHEME =
  '<cac:TaxScheme><cbc:ID schemeAgencyID="320" schemeID="urn:oioubl:id:taxschemeid-1.1">63</cbc:ID><cbc:Name>Moms</cbc:Name></cac:TaxScheme>';
/** Our VAT categories (EN 16931's) as OIOUBL's tax category ids (taxcategoryid-1.1). */
const OIO_CATEGORY: Record<string, string> = {
  S: 'StandardRated',
  Z: 'ZeroRated',
  E: 'ZeroRated',
  AE: 'ReverseCharge',
};
const OIO_ADDRESS = {
  supplier: { street: 'Vesterbrogade', number: '12', city: 'København V', zone: '1620' },
  buyer: { street: 'Rådhuspladsen', number: '2', city: 'Aarhus C', zone: '8000' },
};
const OIO_CONTACT = {
  supplier: { id: 'SALG', name: 'Salgsafdelingen', mail: 'salg@nordisk-raadgivning.example' },
  buyer: { id: '4711', name: 'Bogholderiet', mail: 'faktura@kunde.example' },
};

const oioTaxCategory = (category: string | undefined, percent: string) =>
  `<cac:TaxCategory><cbc:ID schemeAgencyID="320" schemeID="urn:oioubl:id:taxcategoryid-1.1">${OIO_CATEGORY[category ?? 'S'] ?? 'StandardRated'}</cbc:ID><cbc:Percent>${percent}</cbc:Percent>${OIO_VAT_SCHEME}</cac:TaxCategory>`;

/** A UBL 2.1 invoice or credit note, written as Peppol BIS 3 or OIOUBL 2.1 write them. */
export function ubl(o: UblOptions = {}): string {
  const root = o.root ?? 'Invoice';
  const oio = o.flavour === 'oioubl';
  const cur = o.currency ?? (oio ? 'DKK' : 'EUR');
  const lines = o.lines ?? [
    { name: 'Consulting', quantity: '10', price: '100.00', total: '1000.00', percent: '25' },
  ];
  const subtotals = o.subtotals ?? [{ taxable: '1000.00', tax: '250.00', percent: '25', category: 'S' }];
  const supplier = o.supplier ?? { name: 'Nordisk Rådgivning ApS', vat: 'DK12345674', country: 'DK' };
  const buyer = o.buyer ?? { name: 'Aarhus Kommune', vat: 'DK87654311', country: 'DK' };
  const amount = (tag: string, v: string) => `<cbc:${tag} currencyID="${cur}">${v}</cbc:${tag}>`;
  const oioParty = (p: { name: string; vat: string; country: string }, role: 'supplier' | 'buyer') => {
    const a = OIO_ADDRESS[role];
    const c = OIO_CONTACT[role];
    return [
      `<cac:Party><cbc:EndpointID schemeID="DK:CVR">${p.vat}</cbc:EndpointID><cac:PartyName><cbc:Name>${esc(p.name)}</cbc:Name></cac:PartyName>`,
      `<cac:PostalAddress><cbc:AddressFormatCode ${OIO_LIST}:addressformatcode-1.1">StructuredDK</cbc:AddressFormatCode><cbc:StreetName>${a.street}</cbc:StreetName><cbc:BuildingNumber>${a.number}</cbc:BuildingNumber><cbc:CityName>${a.city}</cbc:CityName><cbc:PostalZone>${a.zone}</cbc:PostalZone><cac:Country><cbc:IdentificationCode>${p.country}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>`,
      `<cac:PartyTaxScheme><cbc:CompanyID schemeID="DK:SE">${p.vat}</cbc:CompanyID>${OIO_VAT_SCHEME}</cac:PartyTaxScheme>`,
      `<cac:PartyLegalEntity><cbc:RegistrationName>${esc(p.name)}</cbc:RegistrationName><cbc:CompanyID schemeID="DK:CVR">${p.vat}</cbc:CompanyID></cac:PartyLegalEntity>`,
      `<cac:Contact><cbc:ID>${c.id}</cbc:ID><cbc:Name>${c.name}</cbc:Name><cbc:ElectronicMail>${c.mail}</cbc:ElectronicMail></cac:Contact></cac:Party>`,
    ].join('');
  };
  const party = (p: { name: string; vat: string; country: string }, role: 'supplier' | 'buyer') =>
    oio
      ? oioParty(p, role)
      : `<cac:Party><cbc:EndpointID schemeID="0184">${p.vat.slice(2)}</cbc:EndpointID><cac:PartyName><cbc:Name>${esc(p.name)} (trading)</cbc:Name></cac:PartyName><cac:PostalAddress><cac:Country><cbc:IdentificationCode>${p.country}</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>${p.vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>${esc(p.name)}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party>`;
  const lineTag = root === 'Invoice' ? 'InvoiceLine' : 'CreditNoteLine';
  const qtyTag = root === 'Invoice' ? 'InvoicedQuantity' : 'CreditedQuantity';
  const taxInclusive = o.taxInclusive === undefined ? '1250.00' : o.taxInclusive;
  const payable = o.payable ?? taxInclusive ?? '1250.00';
  const due = o.dueDate ?? '2026-04-01';
  const taxTotal = subtotals.length
    ? subtotals
        .map((s) => Number(s.tax))
        .reduce((a, b) => a + b)
        .toFixed(2)
    : '0.00';
  // OIOUBL's line VAT: the line's amount at its rate (its rules check it to within 1).
  const lineTax = (l: UblLine) => ((Number(l.total) * Number(l.percent ?? '25')) / 100).toFixed(2);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:${root}-2" xmlns:cac="${UBL_CAC}" xmlns:cbc="${UBL_CBC}">\n`,
    oio
      ? '<cbc:UBLVersionID>2.0</cbc:UBLVersionID><cbc:CustomizationID>OIOUBL-2.01</cbc:CustomizationID><cbc:ProfileID schemeAgencyID="320" schemeID="urn:oioubl:id:profileid-1.6">urn:www.nesubl.eu:profiles:profile5:ver2.0</cbc:ProfileID>'
      : '<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID><cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>',
    `<cbc:ID>${esc(o.id ?? 'INV-2026-0042')}</cbc:ID><cbc:IssueDate>${o.issueDate ?? '2026-03-02'}</cbc:IssueDate>`,
    root === 'Invoice' && !oio ? `<cbc:DueDate>${due}</cbc:DueDate>` : '',
    root === 'Invoice'
      ? `<cbc:InvoiceTypeCode${oio ? ` ${OIO_LIST}:invoicetypecode-1.1"` : ''}>380</cbc:InvoiceTypeCode>`
      : oio
        ? '' // UBL 2.1's CreditNoteTypeCode and BuyerReference are not in OIOUBL (UBL 2.0).
        : '<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>',
    `<cbc:Note>Tak for handlen</cbc:Note><cbc:DocumentCurrencyCode>${cur}</cbc:DocumentCurrencyCode>${oio ? '' : '<cbc:BuyerReference>4711</cbc:BuyerReference>'}`,
    o.orderRef ? `<cac:OrderReference><cbc:ID>${esc(o.orderRef)}</cbc:ID></cac:OrderReference>` : '',
    o.corrects
      ? `<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>${esc(o.corrects)}</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>`
      : '',
    `<cac:AccountingSupplierParty>${party(supplier, 'supplier')}</cac:AccountingSupplierParty>`,
    `<cac:AccountingCustomerParty>${party(buyer, 'buyer')}</cac:AccountingCustomerParty>`,
    oio
      ? // OIOUBL's bank transfer (42): a Danish account number and registration number, not an IBAN.
        `<cac:PaymentMeans><cbc:ID>1</cbc:ID><cbc:PaymentMeansCode>42</cbc:PaymentMeansCode><cbc:PaymentDueDate>${due}</cbc:PaymentDueDate><cbc:PaymentChannelCode ${OIO_LIST}:paymentchannelcode-1.1">DK:BANK</cbc:PaymentChannelCode><cac:PayeeFinancialAccount><cbc:ID>4400116243</cbc:ID><cac:FinancialInstitutionBranch><cbc:ID>0040</cbc:ID></cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount></cac:PaymentMeans>`
      : `<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>${root === 'CreditNote' ? `<cbc:PaymentDueDate>${due}</cbc:PaymentDueDate>` : ''}<cac:PayeeFinancialAccount><cbc:ID>DK5000400440116243</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>`,
    `<cac:PaymentTerms><cbc:Note>Netto 30 dage</cbc:Note>${oio ? amount('Amount', payable) : ''}</cac:PaymentTerms>`,
    `<cac:TaxTotal>${amount('TaxAmount', taxTotal)}`,
    ...subtotals.map(
      (s) =>
        `<cac:TaxSubtotal>${amount('TaxableAmount', s.taxable)}${amount('TaxAmount', s.tax)}${oio ? oioTaxCategory(s.category, s.percent) : `<cac:TaxCategory><cbc:ID>${s.category ?? 'S'}</cbc:ID><cbc:Percent>${s.percent}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>`}</cac:TaxSubtotal>`,
    ),
    '</cac:TaxTotal>',
    oio ? '' : '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">2700.00</cbc:TaxAmount></cac:TaxTotal>',
    // OIOUBL's TaxExclusiveAmount is the VAT total (its rules say so), not the amount before VAT.
    `<cac:LegalMonetaryTotal>${amount('LineExtensionAmount', o.lineExtension ?? '1000.00')}${amount('TaxExclusiveAmount', oio ? taxTotal : (o.lineExtension ?? '1000.00'))}${taxInclusive === null ? '' : amount('TaxInclusiveAmount', taxInclusive)}${amount('PayableAmount', payable)}</cac:LegalMonetaryTotal>`,
    ...lines.map(
      (l, i) =>
        `<cac:${lineTag}><cbc:ID>${i + 1}</cbc:ID><cbc:${qtyTag} unitCode="EA">${l.quantity}</cbc:${qtyTag}>${amount('LineExtensionAmount', l.total)}${oio ? `<cac:TaxTotal>${amount('TaxAmount', lineTax(l))}<cac:TaxSubtotal>${amount('TaxableAmount', l.total)}${amount('TaxAmount', lineTax(l))}${oioTaxCategory('S', l.percent ?? '25')}</cac:TaxSubtotal></cac:TaxTotal>` : ''}<cac:Item><cbc:Name>${esc(l.name)}</cbc:Name>${oio ? '' : `<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>${l.percent ?? '25'}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>`}</cac:Item><cac:Price>${amount('PriceAmount', l.price)}</cac:Price></cac:${lineTag}>`,
    ),
    `</${root}>\n`,
  ].join('');
}

const cents = (n: number) => (n / 100).toFixed(2);

/** `count` FatturaPA lines at 22% and the body fields that agree with them. */
export function fpLines(count: number, seed = 1): Pick<FpBody, 'lines' | 'summary' | 'total' | 'due'> {
  const lines: FpLine[] = [];
  let taxable = 0;
  for (let i = 0; i < count; i++) {
    const price = 1000 + ((seed * 7919 + i * 104729) % 90000);
    taxable += price;
    lines.push({
      description: `Servizio ${i + 1}`,
      quantity: '1.00',
      unitPrice: cents(price),
      total: cents(price),
      rate: '22.00',
    });
  }
  const tax = Math.round(taxable * 0.22);
  return {
    lines,
    summary: [{ rate: '22.00', taxable: cents(taxable), tax: cents(tax) }],
    total: cents(taxable + tax),
    due: [{ date: '2026-04-01', amount: cents(taxable + tax) }],
  };
}

/** `count` UBL lines at 25% and the document fields that agree with them. */
export function ublLines(
  count: number,
  seed = 1,
): Pick<UblOptions, 'lines' | 'subtotals' | 'taxInclusive' | 'lineExtension'> {
  const lines: UblLine[] = [];
  let taxable = 0;
  for (let i = 0; i < count; i++) {
    const price = 1000 + ((seed * 7919 + i * 104729) % 90000);
    taxable += price;
    lines.push({
      name: `Service ${i + 1}`,
      quantity: '1',
      price: cents(price),
      total: cents(price),
      percent: '25',
    });
  }
  const tax = Math.round(taxable * 0.25);
  return {
    lines,
    subtotals: [{ taxable: cents(taxable), tax: cents(tax), percent: '25', category: 'S' }],
    taxInclusive: cents(taxable + tax),
    lineExtension: cents(taxable),
  };
}
