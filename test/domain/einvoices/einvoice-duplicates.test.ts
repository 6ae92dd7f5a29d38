import { expect } from 'chai';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fatturaPA, ubl } from './builders.js';
import { makeSigner, type Signer } from './openssl.js';

/** Issue 17 item 6 in the domain: receiveEInvoice and createTicket share one duplicate rule. */
describe('e-invoices: duplicates of typed tickets and of other files', function () {
  this.timeout(60_000);
  let world: World;
  let signer: Signer;
  before(async () => {
    await connectTestDb('einvoice-duplicates');
    world = await makeWorld();
    signer = makeSigner();
  });
  after(async () => {
    signer.cleanup();
    await dropAndDisconnect();
  });

  const acme = () => userCtx(world.users.acmeAdmin);
  const nord = () => userCtx(world.users.nordAdmin);
  const fp = (number: string, date: string, note = '') =>
    Buffer.from(
      fatturaPA({ bodies: [{ number, date, due: [{ date: '2026-04-30', amount: '122.00' }] }] }) + note,
    );
  const peppol = (id: string, issueDate: string) =>
    Buffer.from(
      ubl({
        id,
        issueDate,
        dueDate: '2026-04-30',
        supplier: { name: 'Rossi', vat: 'IT01234567897', country: 'IT' },
      }),
    );
  const typedInput = (invoiceNumber: string, issueDate: string, supplierVat = 'IT 01234567897') =>
    ticketInputSchema.parse({
      type: 'invoice',
      subject: `Fattura ${invoiceNumber}`,
      fields: {
        supplierName: 'Rossi',
        supplierVat,
        invoiceNumber,
        issueDate,
        dueDate: '2026-12-31',
        amount: 122,
        currency: 'EUR',
      },
    });
  const receive = async (ctx: ReturnType<typeof acme>, bytes: Buffer, name = 'f.xml') =>
    (await receiveEInvoice(ctx, { filename: name }, bytes)).invoices[0]!;

  it('a typed ticket first: the file (plain, signed, the other format) is its duplicate, with a finding', async () => {
    const typed = await createTicket(acme(), typedInput('d-1', '2026-05-04'), 'portal');
    const plain = await receive(acme(), fp('D-1', '2026-05-04'));
    expect(plain.ticket.duplicateOf).to.equal(typed.number);
    const record = await EInvoiceRecord.findOne({
      tenantId: typed.tenantId,
      ticketId: plain.ticket.id,
    }).lean();
    const said = record?.findings.find((f) => f.rule === 'bpo.duplicate');
    expect([said?.severity, said?.messageKey, said?.params]).to.deep.equal([
      'warning',
      'invoicedupes.finding',
      { number: typed.number },
    ]);
    const signed = await receive(acme(), signer.sign(fp('D-1', '2026-05-04')), 'f.xml.p7m');
    expect(signed.ticket.duplicateOf).to.equal(typed.number);
    expect((await receive(acme(), peppol('D-1', '2026-05-04'))).ticket.duplicateOf).to.equal(typed.number);
    // Another date: another invoice, no finding.
    const other = await receive(acme(), fp('D-1', '2026-05-05'));
    expect(other.ticket.duplicateOf).to.equal(null);
    expect(other.findings.map((f) => f.rule)).to.not.include('bpo.duplicate');
  });

  it('a file first: a typed ticket is its duplicate', async () => {
    const file = await receive(acme(), peppol('D-2', '2026-05-06'));
    expect(file.ticket.duplicateOf).to.equal(null);
    const typed = await createTicket(acme(), typedInput(' D-2 ', '2026-05-06', 'it01234567897'), 'api');
    expect(typed.duplicateOf?.number).to.equal(file.ticket.number);
  });

  it('copies arriving at once: one original; the same invoice at another client is its own', async () => {
    const copies = [
      fp('D-3', '2026-05-07', '<!-- 1 -->'),
      fp('D-3', '2026-05-07', '<!-- 2 -->'),
      peppol('D-3', '2026-05-07'),
      signer.sign(fp('D-3', '2026-05-07')),
    ];
    const [typed, ...received] = await Promise.all([
      createTicket(acme(), typedInput('D-3', '2026-05-07'), 'portal'),
      ...copies.map((bytes, i) => receive(acme(), bytes, `c${i}.xml`)),
    ]);
    const outcomes = [
      { number: typed!.number, duplicateOf: typed!.duplicateOf?.number ?? null },
      ...received.map((r) => ({ number: r.ticket.number, duplicateOf: r.ticket.duplicateOf })),
    ];
    const originals = outcomes.filter((o) => o.duplicateOf === null);
    expect(originals, JSON.stringify(outcomes)).to.have.length(1);
    for (const o of outcomes) if (o !== originals[0]) expect(o.duplicateOf).to.equal(originals[0]!.number);
    expect(
      await InvoiceKey.countDocuments({ tenantId: typed!.tenantId, key: '2026-05-07|01234567897|d-3' }),
    ).to.equal(1);

    const theirs = await receive(nord(), fp('D-3', '2026-05-07'));
    expect(theirs.ticket.duplicateOf).to.equal(null);
  });
});
