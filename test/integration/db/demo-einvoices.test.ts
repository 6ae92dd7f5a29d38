import { expect } from 'chai';
import { pino } from 'pino';
import { Attachment } from '../../../models/attachment.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Tenant } from '../../../models/tenant.js';
import { Ticket } from '../../../models/ticket.js';
import { systemCtx } from '../../../server/domain/context.js';
import type { Finding } from '../../../server/domain/einvoices/types.js';
import { seedDemo } from '../../../server/seed/demo.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';

/**
 * The demo e-invoices (server/seed/demo-einvoices.ts): each demo client receives a valid one,
 * one with warnings, a signed one, a credit note and a duplicate, through the real receive
 * function; seeding again adds nothing.
 */
describe('demo e-invoices', function () {
  this.timeout(180_000);
  const ctx = systemCtx(pino({ level: 'silent' }), 'seed');

  before(async () => {
    await connectTestDb('demo-einvoices');
  });
  after(async () => {
    await dropAndDisconnect();
  });

  it('gives each demo client five e-invoices, and a second seed adds nothing', async () => {
    await seedDemo(ctx);
    const counts = async () => ({
      records: await EInvoiceRecord.countDocuments({}).setOptions({ allTenants: true }),
      tickets: await Ticket.countDocuments({}).setOptions({ allTenants: true }),
      attachments: await Attachment.countDocuments({}).setOptions({ allTenants: true }),
    });
    const first = await counts();
    expect(first.records).to.equal(10);

    for (const code of ['acme', 'nordhavn']) {
      const tenant = await Tenant.findOne({ code }).lean();
      const rows = await EInvoiceRecord.find({ tenantId: tenant!._id }).sort({ createdAt: 1 }).lean();
      expect(rows, code).to.have.length(5);
      const byName = new Map(rows.map((r) => [r.filename, r]));
      const findings = (name: string) => (byName.get(name)?.findings ?? []) as Finding[];
      const signed = rows.find((r) => r.filename.endsWith('.p7m'));
      expect((signed?.signature as { verified?: boolean } | undefined)?.verified, code).to.equal(true);
      expect(
        rows.filter((r) => r.kind === 'credit_note'),
        code,
      ).to.have.length(1);
      const tickets = await Ticket.find({
        tenantId: tenant!._id,
        _id: { $in: rows.map((r) => r.ticketId) },
      }).lean();
      expect(tickets, code).to.have.length(5);
      // The valid one is valid: no error and no warning on it (info, such as the signature's trust, may be).
      const valid = code === 'acme' ? 'IT01234567897_00118.xml' : 'NR-2026-0042.xml';
      expect(
        findings(valid)
          .filter((f) => f.severity !== 'info')
          .map((f) => f.rule),
        `${code} findings of ${valid}`,
      ).to.deep.equal([]);
      const warned = code === 'acme' ? 'IT01234567897_00121.xml' : 'NR-2026-0047.xml';
      expect(
        findings(warned).some((f) => f.severity === 'warning' || f.severity === 'error'),
        `${code} findings of ${warned}`,
      ).to.equal(true);
      const duplicate = code === 'acme' ? 'IT01234567897_00118-resent.xml' : 'NR-2026-0042-oioubl.xml';
      if (code === 'nordhavn')
        // The OIOUBL copy passes OIOUBL's own rules: nothing that would block its approval.
        expect(
          findings(duplicate).filter((f) => f.severity === 'error'),
          `${code} ${duplicate}`,
        ).to.deep.equal([]);
      // Each demo client has its VAT number on file and is the buyer of its files.
      expect(tenant?.vatNumber, code).to.equal(code === 'acme' ? 'IT12345678903' : 'DK87654311');
      expect(
        rows.flatMap((r) => (r.findings ?? []) as Finding[]).filter((f) => f.rule.startsWith('bpo.buyer')),
        code,
      ).to.deep.equal([]);
      const dupTicket = tickets.find((t) => t._id.equals(byName.get(duplicate)!.ticketId));
      expect(dupTicket?.duplicateOf?.number, `${code} ${duplicate}`).to.be.a('string');
    }

    await seedDemo(ctx);
    expect(await counts()).to.deep.equal(first);
  });
});
