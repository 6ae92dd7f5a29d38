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
  const oldInvoice = (vat: string, invoiceNumber: string, issueDate = '2026-10-01') => {
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
      fields: { supplierVat: vat, invoiceNumber, issueDate },
    });
  };

  it('keys an invoice by issue date, supplier VAT and number, each normalised; nothing without all three', () => {
    const key = invoiceKeyOf({ supplierVat: 'DK12345674', invoiceNumber: 'INV-9a', issueDate: '2026-11-02' });
    expect(key).to.equal('2026-11-02|12345674|inv-9a');
    // The VAT with or without its country prefix, spaces, dots, dashes, any case; the number
    // trimmed in any case; the date as a calendar date (a time or zone after it ignored).
    for (const same of [
      { supplierVat: 'dk 12 34 56 74', invoiceNumber: '  inv-9A ', issueDate: '2026-11-02' },
      { supplierVat: '12345674', invoiceNumber: 'INV-9A', issueDate: '2026-11-02Z' },
      { supplierVat: 'DK-12.34.56.74', invoiceNumber: 'inv-9a', issueDate: '2026-11-02T00:00:00+01:00' },
      { supplierVat: 'DK12345674', invoiceNumber: 'INV-9a', issueDate: new Date('2026-11-02T00:00:00Z') },
    ])
      expect(invoiceKeyOf(same), JSON.stringify(same)).to.equal(key);
    expect(
      invoiceKeyOf({ supplierVat: 'GR 123456789', invoiceNumber: '1', issueDate: '2026-01-01' }),
    ).to.equal(invoiceKeyOf({ supplierVat: 'EL123456789', invoiceNumber: '1', issueDate: '2026-01-01' }));
    // Another day, another number: another invoice.
    expect(
      invoiceKeyOf({ supplierVat: 'DK12345674', invoiceNumber: 'INV-9a', issueDate: '2026-11-03' }),
    ).to.not.equal(key);
    expect(
      invoiceKeyOf({ supplierVat: 'DK12345674', invoiceNumber: 'INV-9b', issueDate: '2026-11-02' }),
    ).to.not.equal(key);
    expect(invoiceKeyOf({ supplierVat: 'DK12345674', invoiceNumber: 'INV-9a' })).to.equal(null);
    expect(invoiceKeyOf({ supplierVat: 'DK12345674', issueDate: '2026-11-02' })).to.equal(null);
    expect(invoiceKeyOf({ invoiceNumber: 'INV-9a', issueDate: '2026-11-02' })).to.equal(null);
    expect(
      invoiceKeyOf({ supplierVat: 'DK12345674', invoiceNumber: '   ', issueDate: '2026-11-02' }),
    ).to.equal(null);
    expect(invoiceKeyOf({ supplierVat: 'DK12345674', invoiceNumber: 'INV-9a', issueDate: 'soon' })).to.equal(
      null,
    );
    expect(invoiceKeyOf(null)).to.equal(null);
  });

  it('backfills the keys of older invoice tickets once, the oldest ticket staying the original; rows of the older rule go', async () => {
    const first = await oldInvoice('DK12345674', 'A-1');
    await oldInvoice('DK12345674', 'a-1'); // an older duplicate: keeps pointing nowhere, adds no key
    const other = await oldInvoice('IT01234567897', 'A-1');
    const otherDay = await oldInvoice('DK12345674', 'A-1', '2026-10-02'); // the older rule took it for a duplicate
    await oldInvoice('', ''); // an invoice opened by mail: nothing to key
    // A row of the older `VAT|number` rule, as the first backfill wrote it.
    await InvoiceKey.create({ tenantId, key: 'DK12345674|a-1', ticketId: first._id, number: first.number });
    expect(await backfillInvoiceKeys()).to.equal(3);
    const keys = await InvoiceKey.find({ tenantId }).sort({ key: 1 }).lean();
    expect(keys.map((k) => [k.key, k.number])).to.deep.equal([
      ['2026-10-01|01234567897|a-1', other.number],
      ['2026-10-01|12345674|a-1', first.number],
      ['2026-10-02|12345674|a-1', otherDay.number],
    ]);
    expect(await Counter.exists({ _id: 'migration:invoice-keys-v2' })).to.not.equal(null);
    // Done once: a second start does not scan the tickets again.
    await oldInvoice('DK87654311', 'B-1');
    expect(await backfillInvoiceKeys()).to.equal(0);

    // A new ticket for a backfilled invoice is a duplicate of the oldest one.
    const later = await oldInvoice('DK12345674', 'A-1');
    const duplicateOf = await claimInvoiceKey(later.toObject());
    expect(duplicateOf && { id: String(duplicateOf.id), number: duplicateOf.number }).to.deep.equal({
      id: String(first._id),
      number: first.number,
    });
    expect((await Ticket.findOne({ tenantId, _id: later._id }).lean())?.duplicateOf?.number).to.equal(
      first.number,
    );
  });

  it('a backfill cut short (keys in, older rows not yet removed) is completed by the next start', async () => {
    await Counter.deleteOne({ _id: 'migration:invoice-keys-v2' });
    await InvoiceKey.create({
      tenantId,
      key: 'DK12345674|z-9',
      ticketId: new Types.ObjectId(),
      number: 'OLD-X',
    });
    expect(await backfillInvoiceKeys()).to.equal(1); // only the ticket stored since (B-1) was missing
    expect(await InvoiceKey.countDocuments({ tenantId, key: { $not: /^\d{4}-\d{2}-\d{2}\|/ } })).to.equal(0);
  });
});
