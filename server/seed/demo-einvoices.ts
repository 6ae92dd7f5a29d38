import { EInvoiceRecord } from '../../models/einvoice.js';
import { Tenant } from '../../models/tenant.js';
import type { Ctx } from '../domain/context.js';
import { receiveEInvoice } from '../domain/einvoices/receive-einvoice.js';
import { makeCmsSigner } from './cms-signer.js';
import { fatturaPA, fpLines, ubl, ublLines } from './einvoice-samples.js';

/**
 * The e-invoices each demo client has received (issue #17): a valid one, one with warnings, a
 * signed one (a `.p7m` made now under a throwaway certificate), a credit note correcting the
 * first, and a duplicate of the first in other bytes. All generated here (einvoice-samples.ts),
 * and all through the real receive function, so they carry their findings like any upload.
 *
 * Idempotent: the unsigned files are the same bytes on every run, and receiving the same bytes
 * twice adds nothing (receive-einvoice.ts); the signed file is new bytes each time (a fresh
 * certificate), so it is sent only while no invoice of its filename is on file for the client.
 */

interface DemoFile {
  filename: string;
  bytes: () => Promise<Buffer>;
  /** New bytes on every run: sent only while no invoice of this filename is on file. */
  varies?: boolean;
}

const text = (s: string) => async () => Buffer.from(s, 'utf8');

function acmeFiles(): DemoFile[] {
  const buyer = { country: 'IT', code: '12345678903', name: 'Acme Logistica S.p.A.' };
  const valid = { number: 'RT-2026/118', date: '2026-03-02', ...fpLines(3, 1) };
  return [
    { filename: 'IT01234567897_00118.xml', bytes: text(fatturaPA({ buyer, bodies: [valid] })) },
    {
      filename: 'IT01234567897_00121.xml',
      // The document total disagrees with the VAT summary: a warning for FatturaPA.
      bytes: text(
        fatturaPA({ buyer, bodies: [{ number: 'RT-2026/121', ...fpLines(2, 2), total: '999.99' }] }),
      ),
    },
    {
      filename: 'IT01234567897_00125.xml.p7m',
      varies: true,
      bytes: async () => {
        const signer = await makeCmsSigner('Mario Rossi', 'Rossi Trasporti');
        const xml = fatturaPA({ buyer, bodies: [{ number: 'RT-2026/125', ...fpLines(5, 3) }] });
        return signer.sign(Buffer.from(xml, 'utf8'));
      },
    },
    {
      filename: 'IT01234567897_00130.xml',
      bytes: text(
        fatturaPA({
          buyer,
          bodies: [{ number: 'NC-2026/7', type: 'TD04', corrects: ['RT-2026/118'], ...fpLines(1, 4) }],
        }),
      ),
    },
    {
      // The first invoice again, exported by other software (another namespace prefix).
      filename: 'IT01234567897_00118-resent.xml',
      bytes: text(fatturaPA({ prefix: 'ns2', buyer, bodies: [valid] })),
    },
  ];
}

/**
 * The sample builder's Peppol invoice as a Danish supplier's valid one: the builder adds a second
 * tax total in a tax currency the invoice does not name (PEPPOL-EN16931-R054) and leaves out what
 * Peppol's Danish rules ask of a Danish supplier: its CVR number as legal entity (DK-R-002) and a
 * payment means code from their list (DK-R-005; 58 is a SEPA credit transfer to the IBAN given).
 */
const danishPeppol = (o: Parameters<typeof ubl>[0]): string =>
  ubl(o)
    .replace(/<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">[^<]*<\/cbc:TaxAmount><\/cac:TaxTotal>/, '')
    .replace(
      /(<cac:AccountingSupplierParty>.*?<cac:PartyLegalEntity><cbc:RegistrationName>[^<]*<\/cbc:RegistrationName>)/,
      '$1<cbc:CompanyID schemeID="0184">12345674</cbc:CompanyID>',
    )
    .replace(
      '<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>',
      '<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>',
    );

function nordhavnFiles(): DemoFile[] {
  const buyer = { name: 'Nordhavn Shipping A/S', vat: 'DK87654311', country: 'DK' };
  const valid = { buyer, id: 'NR-2026-0042', orderRef: 'PO-88213', ...ublLines(4, 5) };
  return [
    { filename: 'NR-2026-0042.xml', bytes: text(danishPeppol(valid)) },
    {
      filename: 'NR-2026-0047.xml',
      // Paid in full already: a payable amount below the total draws the rules' findings.
      bytes: text(danishPeppol({ buyer, id: 'NR-2026-0047', ...ublLines(2, 6), payable: '0.00' })),
    },
    {
      filename: 'NR-2026-0051.xml.p7m',
      varies: true,
      bytes: async () => {
        const signer = await makeCmsSigner('Jens Holm', 'Nordisk Raadgivning');
        return signer.sign(
          Buffer.from(danishPeppol({ buyer, id: 'NR-2026-0051', ...ublLines(6, 7) }), 'utf8'),
        );
      },
    },
    {
      filename: 'NR-CN-2026-0003.xml',
      bytes: text(
        danishPeppol({
          root: 'CreditNote',
          buyer,
          id: 'NR-CN-2026-0003',
          corrects: 'NR-2026-0042',
          ...ublLines(1, 8),
        }),
      ),
    },
    {
      // The first invoice again, as OIOUBL: the same invoice in another format.
      filename: 'NR-2026-0042-oioubl.xml',
      bytes: text(ubl({ ...valid, flavour: 'oioubl' })),
    },
  ];
}

export const demoEInvoiceFiles: Record<string, () => DemoFile[]> = {
  acme: acmeFiles,
  nordhavn: nordhavnFiles,
};

/** Sends each demo client's e-invoices as its client admin (`actAs` gives that user's Ctx). */
export async function seedDemoEInvoices(ctx: Ctx, actAs: (email: string) => Promise<Ctx>): Promise<number> {
  let created = 0;
  for (const [code, files] of Object.entries(demoEInvoiceFiles)) {
    const tenant = await Tenant.findOne({ code }).lean();
    if (!tenant) continue;
    const client = await actAs(`admin@${code}.example`);
    for (const file of files()) {
      if (file.varies && (await EInvoiceRecord.exists({ tenantId: tenant._id, filename: file.filename })))
        continue;
      const receipt = await receiveEInvoice(client, { filename: file.filename }, await file.bytes());
      created += receipt.invoices.filter((i) => i.created).length;
    }
  }
  ctx.log.info({ created }, 'demo e-invoices in place');
  return created;
}
