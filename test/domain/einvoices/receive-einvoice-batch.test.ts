import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { AppError } from '../../../server/errors/app-error.js';
import {
  batchIntake,
  receiveEInvoiceBatch,
} from '../../../server/domain/einvoices/receive-einvoice-batch.js';
import { userCtx } from '../../support/api.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { fatturaPA, ubl } from './builders.js';

/** A batch of files (form, mail, bench) is pipelined: read and validated ahead, written in order. */
describe('e-invoices: a batch of files received together (pipelined)', function () {
  this.timeout(120_000);
  let world: World;
  before(async () => {
    await connectTestDb('receive-einvoice-batch');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  const acme = () => userCtx(world.users.acmeAdmin);

  it('gives each of N files its tickets once, numbered in the files order, with its own findings', async () => {
    const files = Array.from({ length: 9 }, (_, i) => ({
      filename: `batch-${i}.xml`,
      buffer: Buffer.from(
        i % 3 === 2
          ? ubl({ id: `BATCH-${i}` })
          : fatturaPA({
              bodies: [{ number: `BATCH-${i}`, due: [{ date: '2026-04-30', amount: '122.00' }] }],
            }),
      ),
    }));
    files.splice(4, 0, { filename: 'broken.xml', buffer: Buffer.from('<not-an-invoice/>') });
    const seen: number[] = [];
    const results = await receiveEInvoiceBatch(acme(), files, { onDone: (i) => seen.push(i) });
    expect(seen).to.deep.equal(files.map((_, i) => i));
    expect(results).to.have.length(10);
    expect(results[4]!.receipt).to.equal(null);
    expect(results[4]!.error).to.be.instanceOf(AppError);
    const ok = results.filter((r) => r.receipt);
    expect(ok).to.have.length(9);
    expect(ok.every((r) => r.receipt!.invoices.length === 1 && r.receipt!.invoices[0]!.created)).to.equal(
      true,
    );
    const ids = ok.map((r) => r.receipt!.invoices[0]!.ticket.id);
    const tickets = await Ticket.find({ _id: { $in: ids } })
      .setOptions({ allTenants: true })
      .sort({ seq: 1 })
      .lean();
    expect(tickets.map((t) => (t.fields as { invoiceNumber?: string }).invoiceNumber)).to.deep.equal(
      files
        .filter((f) => f.filename !== 'broken.xml')
        .map((f) => f.filename.replace('batch-', 'BATCH-').slice(0, -4)),
    );
    // Each file's findings are its own (the formats differ: the validator answered each request apart).
    results.forEach((r, i) => {
      if (r.receipt)
        expect(r.receipt.invoices[0]!.format).to.equal(
          files[i]!.buffer.includes('<Invoice') ? 'peppol-bis3' : 'fatturapa',
        );
    });

    const again = await receiveEInvoiceBatch(acme(), files);
    expect(again.filter((r) => r.receipt?.invoices[0]?.created)).to.have.length(0);
    expect(await Ticket.countDocuments({ _id: { $in: ids } }).setOptions({ allTenants: true })).to.equal(9);
  });

  it('stops at an error the caller names, writing nothing of the files after it', async () => {
    const before = await Ticket.countDocuments({}).setOptions({ allTenants: true });
    const files = [
      { filename: 'stop-a.xml', buffer: Buffer.from('<nope/>') },
      { filename: 'stop-b.xml', buffer: Buffer.from(fatturaPA({ bodies: [{ number: 'STOP-B' }] })) },
    ];
    const err = await receiveEInvoiceBatch(acme(), files, { stopOn: () => true }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect(await Ticket.countDocuments({}).setOptions({ allTenants: true })).to.equal(before);
    expect(batchIntake.ahead).to.be.greaterThan(1);
  });
});
