import { expect } from 'chai';
import type { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { AppError } from '../../../server/errors/app-error.js';
import { closeAsDuplicate } from '../../../server/domain/tickets/close-as-duplicate.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { findPossibleDuplicate } from '../../../server/domain/tickets/find-possible-duplicate.js';
import { mergeStep, mergeTickets, resumeMerges } from '../../../server/domain/tickets/merge-tickets.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeAttachment, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 5: duplicates handled, not just flagged. */
describe('duplicates: warn, close as duplicate, merge', function () {
  this.timeout(30_000);
  let world: World;
  before(async () => {
    await connectTestDb('duplicates');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  type Ref = { _id: Types.ObjectId; tenantId: Types.ObjectId };
  const linksOf = async (t: Ref) =>
    (
      await TimelineEntry.find({ tenantId: t.tenantId, ticketId: t._id, kind: 'link' }).sort({ at: 1 }).lean()
    ).map(
      (e) =>
        (e.data as { action: string; number: string }).action + ' ' + (e.data as { number: string }).number,
    );
  const storedOf = (t: Ref) => Ticket.findOne({ _id: t._id, tenantId: t.tenantId }).lean();
  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      expect(err).to.be.instanceOf(AppError);
      return err as AppError;
    }
    throw new Error('not refused');
  };
  const invoice = (vat: string, invoiceNumber: string) =>
    ticketInputSchema.parse({
      type: 'invoice',
      subject: `Invoice ${invoiceNumber}`,
      description: '',
      priority: 'normal',
      fields: {
        supplierName: 'Fornitore',
        supplierVat: vat,
        invoiceNumber,
        issueDate: '2026-11-02',
        dueDate: '2026-12-02',
        currency: 'EUR',
        amount: 120,
      },
    });

  it("warns of a possible duplicate invoice with the rule the flag uses, in the caller's company only", async () => {
    const acmeUser = ctxOf(world.users.acmeUser, world.acme);
    const first = await createTicket(acmeUser, invoice('IT01234567897', 'F-17'), 'portal');
    // As typed on the form: spaces, lower case.
    const same = await findPossibleDuplicate(acmeUser, {
      supplierVat: 'it 01234567897',
      invoiceNumber: 'f-17',
      issueDate: '2026-11-02',
    });
    expect(same).to.deep.equal({ duplicate: true, number: first.number });
    expect(
      await findPossibleDuplicate(acmeUser, {
        supplierVat: 'IT01234567897',
        invoiceNumber: 'F-18',
        issueDate: '2026-11-02',
      }),
    ).to.deep.equal({ duplicate: false, number: null });
    // The same number on another day is another invoice; without a date nothing is said yet.
    for (const issueDate of ['2026-11-03', ''])
      expect(
        await findPossibleDuplicate(acmeUser, {
          supplierVat: 'IT01234567897',
          invoiceNumber: 'F-17',
          issueDate,
        }),
      ).to.deep.equal({ duplicate: false, number: null });
    // Another company with the same supplier invoice hears nothing of Acme's.
    const nordUser = ctxOf(world.users.nordUser, world.nord);
    expect(
      await findPossibleDuplicate(nordUser, {
        supplierVat: 'IT01234567897',
        invoiceNumber: 'F-17',
        issueDate: '2026-11-02',
      }),
    ).to.deep.equal({ duplicate: false, number: null });
    // The stored flag agrees with the warning.
    const second = await createTicket(acmeUser, invoice('IT01234567897', 'F-17'), 'portal');
    expect(second.duplicateOf?.number).to.equal(first.number);
  });

  it('closes a ticket as a duplicate: linked both ways, closed, the requester told in their language, once', async () => {
    const original = await makeTicket(world.users.acmeUser, world.acme, 'Original');
    const dup = await makeTicket(world.users.acmeUser, world.acme, 'Again');
    const operator = ctxOf(world.users.operatorAcme, null);
    const closed = await closeAsDuplicate(operator, dup.number, { original: original.number });
    expect(closed.status).to.equal('closed');
    expect((await storedOf(dup))?.duplicateOf?.number).to.equal(original.number);
    expect(await linksOf(dup)).to.deep.equal([`closed_as_duplicate_of ${original.number}`]);
    expect(await linksOf(original)).to.deep.equal([`duplicate_closed ${dup.number}`]);
    const mails = await OutboxMail.find({
      tenantId: dup.tenantId,
      template: 'ticket_closed_duplicate',
    }).lean();
    expect(mails).to.have.length(1);
    expect(mails[0]?.locale).to.equal('it'); // Acme's language
    // Run again (a retry after a crash): nothing written twice.
    await closeAsDuplicate(operator, dup.number, { original: original.number });
    expect(await linksOf(dup)).to.have.length(1);
    expect(await linksOf(original)).to.have.length(1);
    expect(
      await OutboxMail.countDocuments({ tenantId: dup.tenantId, template: 'ticket_closed_duplicate' }),
    ).to.equal(1);
  });

  it('refuses across tenants, to clients and to staff without the other ticket in scope', async () => {
    const acmeTicket = await makeTicket(world.users.acmeUser, world.acme, 'Acme one');
    const nordTicket = await makeTicket(world.users.nordUser, world.nord, 'Nord one');
    const both = ctxOf(world.users.operatorBoth, null);
    const cross = await refusal(closeAsDuplicate(both, acmeTicket.number, { original: nordTicket.number }));
    expect([cross.code, cross.messageKey]).to.deep.equal(['conflict', 'duplicates.cross_tenant']);
    const crossMerge = await refusal(mergeTickets(both, acmeTicket.number, { into: nordTicket.number }));
    expect(crossMerge.messageKey).to.equal('duplicates.cross_tenant');
    const acmeOnly = ctxOf(world.users.operatorAcme, null);
    expect(
      (await refusal(mergeTickets(acmeOnly, acmeTicket.number, { into: nordTicket.number }))).code,
    ).to.equal('not_found');
    const client = ctxOf(world.users.acmeAdmin, world.acme);
    const other = await makeTicket(world.users.acmeUser, world.acme, 'Acme two');
    expect(
      (await refusal(closeAsDuplicate(client, other.number, { original: acmeTicket.number }))).code,
    ).to.equal('forbidden');
    expect((await storedOf(acmeTicket))?.status).to.equal('new');
    expect((await storedOf(nordTicket))?.mergedInto).to.equal(null);
  });

  it('merges: timeline and attachments move, the merged one closed pointing to the survivor', async () => {
    const survivor = await makeTicket(world.users.acmeUser, world.acme, 'Survivor');
    const merged = await makeTicket(world.users.acmeUser, world.acme, 'Merged');
    const file = await makeAttachment(world.users.acmeUser, world.acme, merged);
    const operator = ctxOf(world.users.operatorAcme, null);
    const done = await mergeTickets(operator, merged.number, { into: survivor.number });
    expect(done.status).to.equal('closed');
    expect(done.mergedInto?.number).to.equal(survivor.number);
    expect(done.mergeState).to.equal('done');
    const onSurvivor = await TimelineEntry.find({
      tenantId: survivor.tenantId,
      ticketId: survivor._id,
    }).lean();
    expect(onSurvivor.filter((e) => e.kind === 'created')).to.have.length(2);
    expect(await linksOf(survivor)).to.deep.equal([`merged_from ${merged.number}`]);
    expect(await linksOf(merged)).to.deep.equal([`merged_into ${survivor.number}`]);
    const moved = await Attachment.findOne({ tenantId: survivor.tenantId, _id: file._id }).lean();
    expect(String(moved?.ticketId)).to.equal(String(survivor._id));
    // Merging it again, or into another ticket, is refused; the survivor cannot go into it either.
    const third = await makeTicket(world.users.acmeUser, world.acme, 'Third');
    expect(
      (await refusal(mergeTickets(operator, merged.number, { into: third.number }))).messageKey,
    ).to.equal('duplicates.already_closed');
    expect(
      (await refusal(mergeTickets(operator, third.number, { into: merged.number }))).messageKey,
    ).to.equal('duplicates.original_merged');
  });

  it('a merge cut short after its first write is finished by the step, run twice without duplicates', async () => {
    const survivor = await makeTicket(world.users.acmeUser, world.acme, 'Keep');
    const merged = await makeTicket(world.users.acmeUser, world.acme, 'Fold');
    // The claim went in, then the process died: nothing moved yet.
    await Ticket.updateOne(
      { _id: merged._id, tenantId: merged.tenantId },
      { $set: { mergedInto: { id: survivor._id, number: survivor.number }, mergeState: 'moving' } },
    );
    const operator = ctxOf(world.users.operatorAcme, null);
    expect(await resumeMerges(operator)).to.be.greaterThan(0);
    const once = await storedOf(merged);
    expect([once?.status, once?.mergeState]).to.deep.equal(['closed', 'done']);
    // A second run of the step (two sweeps racing, or the caller retrying) adds nothing.
    const before = await TimelineEntry.countDocuments({
      tenantId: survivor.tenantId,
      ticketId: survivor._id,
    });
    await mergeStep(operator, { ...once!, mergeState: 'linking' });
    await mergeTickets(operator, merged.number, { into: survivor.number });
    expect(
      await TimelineEntry.countDocuments({ tenantId: survivor.tenantId, ticketId: survivor._id }),
    ).to.equal(before);
    expect(await linksOf(survivor)).to.deep.equal([`merged_from ${merged.number}`]);
    expect(await linksOf(merged)).to.deep.equal([`merged_into ${survivor.number}`]);
    expect(await resumeMerges(operator)).to.equal(0);
  });
});
