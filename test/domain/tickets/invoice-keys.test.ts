import { expect } from 'chai';
import { Types } from 'mongoose';
import { Counter } from '../../../models/counter.js';
import { InvoiceKey } from '../../../models/invoice-key.js';
import { Ticket } from '../../../models/ticket.js';
import {
  backfillInvoiceKeys,
  claimInvoiceKey,
  invoiceKeyOf,
} from '../../../server/domain/tickets/invoice-keys.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/**
 * Duplicate invoices are decided by the unique (tenantId, key) index of InvoiceKey, not by a
 * scan of the tickets; invoice tickets stored before the keys existed get theirs once at start.
 */
describe('invoice keys', () => {
  before(async () => {
    await connectTestDb('invoice-keys');
  });
  after(dropAndDisconnect);

  const tenantId = new Types.ObjectId();
  let seq = 0;
  /** An invoice ticket as stored before invoice keys existed. */
  const oldInvoice = (vat: string, invoiceNumber: string) => {
    seq++;
    return Ticket.create({
      tenantId,
      number: `OLD-${String(seq).padStart(6, '0')}`,
      seq,
      type: 'invoice',
      subject: `Invoice ${invoiceNumber}`,
      priority: 'normal',
      status: 'new',
      channel: 'api',
      requester: { id: new Types.ObjectId(), name: 'Someone', email: 'someone@example.test' },
      fields: { supplierVat: vat, invoiceNumber },
    });
  };

  it('keys an invoice by supplier VAT and invoice number, the number in any case; nothing without both', () => {
    expect(invoiceKeyOf({ supplierVat: 'DK12345678', invoiceNumber: 'INV-9a' })).to.equal(
      'DK12345678|inv-9a',
    );
    expect(invoiceKeyOf({ supplierVat: 'DK12345678' })).to.equal(null);
    expect(invoiceKeyOf({ invoiceNumber: 'INV-9a' })).to.equal(null);
    expect(invoiceKeyOf(null)).to.equal(null);
  });

  it('backfills the keys of older invoice tickets once, the oldest ticket staying the original', async () => {
    const first = await oldInvoice('DK12345678', 'A-1');
    await oldInvoice('DK12345678', 'a-1'); // an older duplicate: keeps pointing nowhere, adds no key
    const other = await oldInvoice('IT01234567890', 'A-1');
    await oldInvoice('', ''); // an invoice opened by mail: nothing to key
    expect(await backfillInvoiceKeys()).to.equal(2);
    const keys = await InvoiceKey.find({ tenantId }).sort({ key: 1 }).lean();
    expect(keys.map((k) => [k.key, k.number])).to.deep.equal([
      ['DK12345678|a-1', first.number],
      ['IT01234567890|a-1', other.number],
    ]);
    expect(await Counter.exists({ _id: 'migration:invoice-keys' })).to.not.equal(null);
    // Done once: a second start does not scan the tickets again.
    await oldInvoice('DK99999999', 'B-1');
    expect(await backfillInvoiceKeys()).to.equal(0);

    // A new ticket for a backfilled invoice is a duplicate of the oldest one.
    const later = await oldInvoice('DK12345678', 'A-1');
    const duplicateOf = await claimInvoiceKey(later.toObject());
    expect(duplicateOf && { id: String(duplicateOf.id), number: duplicateOf.number }).to.deep.equal({
      id: String(first._id),
      number: first.number,
    });
    expect((await Ticket.findOne({ tenantId, _id: later._id }).lean())?.duplicateOf?.number).to.equal(
      first.number,
    );
  });
});
