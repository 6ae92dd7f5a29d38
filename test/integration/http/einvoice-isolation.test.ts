import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { einvoiceTicketId } from '../../../server/domain/einvoices/receive-einvoice.js';
import { einvoiceReceiptJson } from '../../../server/http/api/schemas.js';
import { apiClient, binary, tokenOf } from '../../support/api.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** The stored file's id as receive-einvoice.ts derives it (tenant, file hash): an attacker can compute it. */
const derivedAttachmentId = (tenantId: Types.ObjectId, fileHash: string): string =>
  createHash('sha256')
    .update(['einvoice-attachment', String(tenantId), fileHash].join('|'))
    .digest('hex')
    .slice(0, 24);

/**
 * Issue 17, Tests: tenant isolation of e-invoice files and findings. A client user of tenant B
 * (and B's API token) can neither download A's original nor read A's findings, by page, by the
 * API, or by ids guessed or computed from the file.
 */
describe('e-invoices: tenant isolation of files and findings', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acmeApi: ReturnType<typeof apiClient>;
  let nordApi: ReturnType<typeof apiClient>;
  let acmeUser: Agent;
  let nordUser: Agent;
  let bytes: Buffer;
  let receipt: ReturnType<typeof einvoiceReceiptJson.parse>;
  const secret = `SEGRETO-${randomBytes(4).toString('hex')}`;

  before(async () => {
    tp = await startTestPortal('einvoice-isolation');
    world = await makeWorld();
    acmeApi = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    nordApi = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
    acmeUser = await signedInAgent(tp.url, world.users.acmeUser.email);
    nordUser = await signedInAgent(tp.url, world.users.nordUser.email);
    // Acme's file: a description only it knows, and a due date before the issue date (an error finding).
    bytes = Buffer.from(
      fatturaPA({
        bodies: [
          {
            number: `${secret}-1`,
            lines: [{ description: secret, quantity: '1', unitPrice: '100.00', total: '100.00', rate: '22' }],
            summary: [{ rate: '22', taxable: '100.00', tax: '22.00' }],
            due: [{ date: '2026-01-01', amount: '122.00' }],
          },
          { number: `${secret}-2` },
        ],
      }),
    );
    receipt = einvoiceReceiptJson.parse(
      (
        await acmeApi
          .post('/einvoices?filename=IT01234567897_SECRET.xml')
          .set('Content-Type', 'application/xml')
          .send(bytes)
          .expect(201)
      ).body,
    );
  });
  after(() => tp?.stop());

  it("acme's own client user sees the findings and downloads the original (the control)", async () => {
    const page = await acmeUser.get(`/tickets/${receipt.invoices[0]!.ticket.number}`).expect(200);
    expect(page.text).to.include('data-rule="bpo.due_before_issue"');
    expect(page.text).to.include(secret);
    const file = await acmeUser
      .get(`/attachments/${receipt.file.attachment.id}`)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(sha(file.body as Buffer)).to.equal(sha(bytes));
    const list = await acmeUser.get(`/tickets?q=${encodeURIComponent(secret)}`).expect(200);
    expect(list.text).to.include(`/tickets/${receipt.invoices[0]!.ticket.number}"`);
  });

  it("B's client user: A's ticket pages and original are 404 by number, by id and by computed id", async () => {
    const [first, second] = receipt.invoices;
    const computedTicket = String(einvoiceTicketId(world.acme._id, sha(bytes), 0));
    expect(computedTicket).to.equal(first!.ticket.id); // the id is indeed computable from the file
    for (const ref of [first!.ticket.number, second!.ticket.number, first!.ticket.id, computedTicket]) {
      const res = await nordUser.get(`/tickets/${ref}`);
      expect(res.status, ref).to.equal(404);
      expect(res.text).to.not.include(secret);
      expect(res.text).to.not.include('data-rule=');
    }
    const computedFile = derivedAttachmentId(world.acme._id, sha(bytes));
    expect(computedFile).to.equal(receipt.file.attachment.id);
    const download = await nordUser.get(`/attachments/${computedFile}`);
    expect(download.status).to.equal(404);
    expect(download.text ?? '').to.not.include(secret);
    // Nor under the ids of the other tenant, nor a random one.
    await nordUser.get(`/attachments/${derivedAttachmentId(world.nord._id, sha(bytes))}`).expect(404);
    await nordUser.get(`/attachments/${new Types.ObjectId().toHexString()}`).expect(404);
    // A's tickets are not in B's lists or search.
    // A's tickets are not in B's search results (the query itself is echoed in the search box).
    const list = await nordUser.get(`/tickets?q=${encodeURIComponent(secret)}`).expect(200);
    for (const invoice of receipt.invoices) {
      expect(list.text).to.not.include(`/tickets/${invoice.ticket.number}"`);
    }
  });

  it("B's API token: A's tickets, findings and original are 404 by number, id and computed id", async () => {
    for (const invoice of receipt.invoices) {
      for (const ref of [invoice.ticket.number, invoice.ticket.id]) {
        const res = await nordApi.get(`/tickets/${ref}`);
        expect(res.status, ref).to.equal(404);
        expect(JSON.stringify(res.body)).to.not.include(secret);
      }
    }
    const res = await nordApi.get(`/attachments/${receipt.file.attachment.id}`);
    expect(res.status).to.equal(404);
    const list = await nordApi.get('/tickets').expect(200);
    expect(JSON.stringify(list.body)).to.not.include(secret);
  });

  it('B sending the very same bytes gets its own tickets and file, which show nothing of A', async () => {
    const theirs = einvoiceReceiptJson.parse(
      (
        await nordApi
          .post('/einvoices?filename=copy.xml')
          .set('Content-Type', 'application/xml')
          .send(bytes)
          .expect(201)
      ).body,
    );
    expect(theirs.file.attachment.id).to.not.equal(receipt.file.attachment.id);
    expect(theirs.invoices.map((i) => i.ticket.id)).to.not.include.members(
      receipt.invoices.map((i) => i.ticket.id),
    );
    expect(theirs.invoices.map((i) => i.ticket.duplicateOf)).to.deep.equal([null, null]);
    // B's own page links B's own file and B's own sibling, never A's.
    const page = await nordUser.get(`/tickets/${theirs.invoices[0]!.ticket.number}`).expect(200);
    expect(page.text).to.include(`href="/attachments/${theirs.file.attachment.id}"`);
    expect(page.text).to.not.include(receipt.file.attachment.id);
    for (const invoice of receipt.invoices)
      expect(page.text).to.not.include(`href="/tickets/${invoice.ticket.number}"`);
    // A's file id is still refused to B after B stored the same bytes.
    await nordUser.get(`/attachments/${receipt.file.attachment.id}`).expect(404);
    // Each tenant's rows carry their own findings, nothing shared.
    const rows = await EInvoiceRecord.find({ fileHash: sha(bytes) })
      .setOptions({ allTenants: true })
      .lean();
    expect(rows.map((r) => String(r.tenantId)).sort()).to.deep.equal(
      [world.acme.id, world.acme.id, world.nord.id, world.nord.id].map(String).sort(),
    );
  });

  it("an operator of A only cannot open B's e-invoice either; a team lead of both can open each", async () => {
    const theirs = await EInvoiceRecord.findOne({ tenantId: world.nord._id, fileHash: sha(bytes) })
      .setOptions({ allTenants: true })
      .lean();
    const operatorAcme = await signedInAgent(tp.url, world.users.operatorAcme.email);
    await operatorAcme.get(`/attachments/${String(theirs!.attachmentId)}`).expect(404);
    await operatorAcme.get(`/attachments/${receipt.file.attachment.id}`).expect(200);
    const lead = await signedInAgent(tp.url, world.users.teamLead.email);
    await lead.get(`/attachments/${String(theirs!.attachmentId)}`).expect(200);
    await lead.get(`/attachments/${receipt.file.attachment.id}`).expect(200);
  });
});
