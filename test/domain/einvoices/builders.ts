/**
 * Small builders of e-invoice XML for the tests: written here, not copied from sample files.
 * VAT numbers are valid (IT01234567897, IT12345678903, DK12345674, DK87654322).
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
