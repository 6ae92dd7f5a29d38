import { expect } from 'chai';
import { createHash } from 'node:crypto';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { Attachment } from '../../../models/attachment.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { TicketSetup } from '../../../models/ticket-setup.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { systemCtx } from '../../../server/domain/context.js';
import {
  commitEInvoiceGroup,
  einvoiceTicketId,
  joinsGroup,
  prepareEInvoice,
  type PreparedEInvoice,
} from '../../../server/domain/einvoices/receive-einvoice.js';
import {
  batchIntake,
  receiveEInvoiceBatch,
} from '../../../server/domain/einvoices/receive-einvoice-batch.js';
import { completeTicketSetups } from '../../../server/domain/tickets/complete-setups.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { startDbProxy, type DbProxy } from '../../support/db-proxy.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fatturaPA, ubl } from './builders.js';

const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);
const writeOf = (command: Record<string, unknown>): string | null => {
  const name = Object.keys(command)[0] ?? '';
  return WRITES.has(name) ? `${name} ${String(command[name])}` : null;
};
const later = () => new Date(Date.now() + 60_000);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * A batch's ready files written together (commitEInvoiceGroup): one counter $inc, one command per
 * kind of write for the group, the numbers and duplicates as one file after the other gives them,
 * and a crash between any two of the group's commands left complete by the repair and a re-sending.
 */
describe('e-invoices: files written together as a group', function () {
  this.timeout(300_000);
  let world: World;
  let proxy: DbProxy;
  let writes: string[] = [];
  before(async () => {
    proxy = await startDbProxy(process.env.TEST_MONGODB_BASE ?? '');
    await connectTestDb('receive-einvoice-group', proxy.via);
    world = await makeWorld();
  });
  beforeEach(() => {
    writes = [];
    proxy.rule = (command) => {
      const write = writeOf(command);
      if (write) writes.push(write);
      return 'pass';
    };
  });
  after(async () => {
    await dropAndDisconnect();
    await proxy.close();
  });

  const acme = () => userCtx(world.users.acmeAdmin);
  const fp = (number: string, date = '2026-03-02') =>
    Buffer.from(fatturaPA({ bodies: [{ number, date, due: [{ date: '2026-04-30', amount: '122.00' }] }] }));
  const prepare = (files: Array<{ name: string; bytes: Buffer }>): Promise<PreparedEInvoice[]> =>
    Promise.all(files.map((f) => prepareEInvoice(acme(), { filename: f.name }, f.bytes)));
  const typed = (invoiceNumber: string, issueDate: string) =>
    createTicket(
      acme(),
      ticketInputSchema.parse({
        type: 'invoice',
        subject: `Fattura ${invoiceNumber}`,
        fields: {
          supplierName: 'Rossi',
          supplierVat: 'IT01234567897',
          invoiceNumber,
          issueDate,
          dueDate: '2026-12-31',
          amount: 122,
          currency: 'EUR',
        },
      }),
      'portal',
    );

  it('numbers the group with one counter $inc in the files order, each kind of write one command', async () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `g-${i}.xml`, bytes: fp(`GROUP-${i}`) }));
    const group = await prepare(files);
    writes = [];
    const done = await commitEInvoiceGroup(acme(), group);
    expect(done.every((d) => d.ok)).to.equal(true);
    const numbers = done.map((d) => (d.ok ? d.value.invoices[0]!.ticket.number : ''));
    expect([...numbers].sort()).to.deep.equal(numbers);
    const count = (w: string) => writes.filter((x) => x === w).length;
    expect(count('findAndModify counters')).to.equal(1);
    // Five files, each kind of write once for all of them.
    for (const w of ['insert tickets', 'insert einvoices', 'insert attachments', 'insert attachments.chunks'])
      expect(count(w), w).to.equal(1);
    const tickets = await Ticket.find({ tenantId: world.acme._id, number: { $in: numbers } })
      .sort({ seq: 1 })
      .lean();
    expect(tickets.map((t) => (t.fields as { invoiceNumber?: string }).invoiceNumber)).to.deep.equal(
      files.map((_, i) => `GROUP-${i}`),
    );
  });

  it('keeps files whose outcome depends on their order out of one group; duplicates as one after the other', async () => {
    const original = await typed('TYPED-1', '2026-03-02');
    const [a, b, c, note] = await prepare([
      { name: 'a.xml', bytes: fp('SAME-1') },
      {
        name: 'b.xml',
        bytes: Buffer.from(
          ubl({
            id: 'SAME-1',
            issueDate: '2026-03-02',
            supplier: { name: 'Rossi', vat: 'IT01234567897', country: 'IT' },
          }),
        ),
      },
      { name: 'c.xml', bytes: fp('OTHER-1') },
      { name: 'note.xml', bytes: Buffer.from(ubl({ id: 'NOTE-1', root: 'CreditNote' })) },
    ]);
    expect(joinsGroup([a!], c!)).to.equal(true);
    expect(joinsGroup([a!], b!), 'the same invoice in another format').to.equal(false);
    expect(joinsGroup([a!], a!), 'the same bytes').to.equal(false);
    expect(joinsGroup([a!], note!), 'a credit note').to.equal(false);

    // In a batch, whatever groups it makes: the first file of an invoice is the original, the
    // later ones its duplicates, a typed ticket before them all the original of all.
    const saved = { ...batchIntake };
    batchIntake.ahead = 8;
    try {
      const batch = [
        { filename: 'd1.xml', buffer: fp('DUP-1') },
        { filename: 'd2.xml', buffer: fp('DUP-2') },
        { filename: 'd1-again.xml', buffer: Buffer.concat([fp('DUP-1'), Buffer.from('\n')]) },
        { filename: 'typed.xml', buffer: fp('TYPED-1') },
        { filename: 'd2-again.xml', buffer: Buffer.concat([fp('DUP-2'), Buffer.from('\n')]) },
        { filename: 'd1-same.xml', buffer: fp('DUP-1') },
      ];
      const results = await receiveEInvoiceBatch(acme(), batch);
      const tickets = results.map((r) => r.receipt!.invoices[0]!.ticket);
      expect(tickets.map((t) => t.duplicateOf)).to.deep.equal([
        null,
        null,
        tickets[0]!.number,
        original.number,
        tickets[1]!.number,
        null, // the same bytes as the first: the same ticket, the original
      ]);
      expect(tickets[5]!.id.equals(tickets[0]!.id)).to.equal(true);
      expect(results[5]!.receipt!.invoices[0]!.created).to.equal(false);
      const numbers = tickets.slice(0, 5).map((t) => t.number);
      expect([...numbers].sort()).to.deep.equal(numbers);
    } finally {
      Object.assign(batchIntake, saved);
    }
  });

  it('a crash between any two of the group commands: the repair and a re-sending leave every file complete, once', async () => {
    const ctx = systemCtx(pino({ level: 'silent' }), 'test');
    // The writes of one clean group of three files, to know how many steps to cut at.
    const sample = (round: number) => [
      { name: `crash-${round}-a.xml`, bytes: fp(`CRASH-${round}-A`) },
      { name: `crash-${round}-b.xml`, bytes: Buffer.from(ubl({ id: `CRASH-${round}-B` })) },
      { name: `crash-${round}-c.xml`, bytes: fp(`TYPED-CRASH-${round}`) },
    ];
    const clean = await prepare(sample(0));
    writes = [];
    await commitEInvoiceGroup(acme(), clean);
    const steps = writes.length;
    expect(steps).to.be.greaterThan(8);

    for (let cut = 0; cut < steps; cut++) {
      const round = cut + 1;
      const files = sample(round);
      const original = await typed(`TYPED-CRASH-${round}`, '2026-03-02');
      const group = await prepare(files);
      // The portal dies as the group's write number `cut` leaves: that one and every command after
      // it never reach the database (answered with an error at once, as a dead process sends nothing).
      let passed = 0;
      let dead = false;
      proxy.rule = (command) => {
        if (!dead && writeOf(command)) {
          if (passed === cut) dead = true;
          else passed++;
        }
        const name = Object.keys(command)[0] ?? '';
        return dead && !['hello', 'isMaster', 'ismaster'].includes(name)
          ? { reply: { ok: 0, errmsg: 'portal killed (test)', code: 2 } }
          : 'pass';
      };
      const crashed = await commitEInvoiceGroup(acme(), group).catch((err: unknown) => err);
      proxy.rule = () => 'pass';
      expect(Array.isArray(crashed) ? crashed.some((d) => !d.ok) : true, `cut at ${cut}`).to.equal(true);

      // The repair of interrupted creations (every node runs it, every 15 s), the files sent
      // again (a client's retry, the sending mail server's), and the repair again: either order.
      await completeTicketSetups(ctx, later());
      const again = await commitEInvoiceGroup(acme(), await prepare(files));
      expect(
        again.map((d) => d.ok),
        `cut at ${cut}: re-sent`,
      ).to.deep.equal([true, true, true]);
      await completeTicketSetups(ctx, later());

      for (const [i, f] of files.entries()) {
        const what = `cut at ${cut}, file ${i}`;
        const ticketId = einvoiceTicketId(world.acme._id, sha(f.bytes), 0);
        const ticket = await Ticket.findOne({ tenantId: world.acme._id, _id: ticketId }).lean();
        expect(ticket, what).to.not.equal(null);
        expect(await TicketSetup.countDocuments({ _id: ticketId }), what).to.equal(0);
        const entries = await TimelineEntry.find({ tenantId: world.acme._id, ticketId }).lean();
        expect(
          entries.map((e) => e.kind),
          what,
        ).to.deep.equal(['created']);
        expect(
          await OutboxMail.countDocuments({
            tenantId: world.acme._id,
            key: `ticket:${String(ticketId)}:created`,
          }),
          what,
        ).to.equal(1);
        expect(
          await EInvoiceRecord.countDocuments({ tenantId: world.acme._id, fileHash: sha(f.bytes) }),
          what,
        ).to.equal(1);
        const attachment = await Attachment.findOne({
          tenantId: world.acme._id,
          sha256: sha(f.bytes),
        }).lean();
        expect(attachment, what).to.not.equal(null);
        const db = mongoose.connection.db!;
        expect(
          await db.collection('attachments.files').countDocuments({ _id: attachment!.fileId }),
          what,
        ).to.equal(1);
        const chunks = await db
          .collection('attachments.chunks')
          .find({ files_id: attachment!.fileId })
          .toArray();
        expect(
          Buffer.concat(chunks.map((c) => Buffer.from((c.data as { buffer: Uint8Array }).buffer))).equals(
            f.bytes,
          ),
          what,
        ).to.equal(true);
        // The third file is the typed ticket's duplicate, however the crash fell.
        expect(ticket!.duplicateOf?.number ?? null, what).to.equal(i === 2 ? original.number : null);
      }
    }
  });
});
