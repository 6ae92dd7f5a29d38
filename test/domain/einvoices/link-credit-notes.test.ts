import { expect } from 'chai';
import { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import { userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fatturaPA, ubl } from './builders.js';

/** Issue 17: a credit note (FatturaPA TD04, UBL CreditNote) is linked to the invoice it corrects, both ways. */
describe('e-invoices: credit notes linked to their invoices', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    await connectTestDb('link-credit-notes');
    world = await makeWorld();
  });
  after(() => dropAndDisconnect());

  const acme = () => userCtx(world.users.acmeAdmin);
  const nord = () => userCtx(world.users.nordAdmin);
  const rowOf = async (
    tenantId: Types.ObjectId,
    ticketId: Types.ObjectId,
  ): Promise<{ correctsTicketIds: unknown[]; correctedByTicketIds: unknown[] }> => {
    const row = await EInvoiceRecord.findOne({ tenantId, ticketId }).lean();
    const links = row as unknown as {
      correctsTicketIds?: unknown[];
      correctedByTicketIds?: unknown[];
    } | null;
    return {
      correctsTicketIds: links?.correctsTicketIds ?? [],
      correctedByTicketIds: links?.correctedByTicketIds ?? [],
    };
  };

  it('links a FatturaPA TD04 to the invoice already received (same supplier VAT and number)', async () => {
    const inv = await receiveEInvoice(
      acme(),
      { filename: 'inv.xml' },
      Buffer.from(fatturaPA({ bodies: [{ number: 'CN-INV-1' }] })),
    );
    const note = await receiveEInvoice(
      acme(),
      { filename: 'nc.xml' },
      Buffer.from(fatturaPA({ bodies: [{ number: 'NC-1', type: 'TD04', corrects: ['CN-INV-1'] }] })),
    );
    expect(note.invoices[0]!.kind).to.equal('credit_note');
    const invId = inv.invoices[0]!.ticket.id;
    const noteId = note.invoices[0]!.ticket.id;
    expect(
      (await rowOf(new Types.ObjectId(world.acme.id), noteId)).correctsTicketIds.map(String),
    ).to.deep.equal([String(invId)]);
    expect(
      (await rowOf(new Types.ObjectId(world.acme.id), invId)).correctedByTicketIds.map(String),
    ).to.deep.equal([String(noteId)]);
  });

  it('links a UBL CreditNote that arrives before its invoice when the invoice arrives', async () => {
    const note = await receiveEInvoice(
      acme(),
      { filename: 'cn.xml' },
      Buffer.from(ubl({ root: 'CreditNote', id: 'UBL-CN-1', corrects: 'UBL-INV-1' })),
    );
    const noteId = note.invoices[0]!.ticket.id;
    expect((await rowOf(new Types.ObjectId(world.acme.id), noteId)).correctsTicketIds).to.deep.equal([]);
    const inv = await receiveEInvoice(acme(), { filename: 'inv.xml' }, Buffer.from(ubl({ id: 'UBL-INV-1' })));
    const invId = inv.invoices[0]!.ticket.id;
    expect(
      (await rowOf(new Types.ObjectId(world.acme.id), noteId)).correctsTicketIds.map(String),
    ).to.deep.equal([String(invId)]);
    expect(
      (await rowOf(new Types.ObjectId(world.acme.id), invId)).correctedByTicketIds.map(String),
    ).to.deep.equal([String(noteId)]);
    // Sending the invoice again duplicates no link.
    await receiveEInvoice(acme(), { filename: 'inv.xml' }, Buffer.from(ubl({ id: 'UBL-INV-1' })));
    expect((await rowOf(new Types.ObjectId(world.acme.id), invId)).correctedByTicketIds).to.have.length(1);
  });

  it("never links a credit note of one client to another client's invoice", async () => {
    const inv = await receiveEInvoice(acme(), { filename: 'inv.xml' }, Buffer.from(ubl({ id: 'ISO-INV-1' })));
    const note = await receiveEInvoice(
      nord(),
      { filename: 'cn.xml' },
      Buffer.from(ubl({ root: 'CreditNote', id: 'ISO-CN-1', corrects: 'ISO-INV-1' })),
    );
    expect(
      (await rowOf(new Types.ObjectId(world.nord.id), note.invoices[0]!.ticket.id)).correctsTicketIds,
    ).to.deep.equal([]);
    expect(
      (await rowOf(new Types.ObjectId(world.acme.id), inv.invoices[0]!.ticket.id)).correctedByTicketIds,
    ).to.deep.equal([]);
  });
});
