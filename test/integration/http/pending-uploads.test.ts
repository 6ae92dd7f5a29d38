import { createHash } from 'node:crypto';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { PendingUpload } from '../../../models/pending-upload.js';
import { Ticket } from '../../../models/ticket.js';
import { purgeStalePendingUploads } from '../../../server/domain/tickets/pending-uploads.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { decodeHtml } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

const pdf = Buffer.concat([
  Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj <<>> endobj\n'),
  Buffer.alloc(4096, 9),
  Buffer.from('\n%%EOF\n'),
]);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const invoiceFields = {
  subject: 'Fattura Verdi Logistica 2026/77',
  description: 'Da registrare',
  priority: 'normal',
  'fields.supplierName': 'Verdi Logistica S.r.l.',
  'fields.supplierVat': 'IT 0123 4567 897',
  'fields.issueDate': '2026-11-02',
  'fields.dueDate': '2026-12-02',
  'fields.amount': '980,00',
  'fields.currency': 'EUR',
};

/** The ids of the files a re-rendered form shows as still attached. */
const keptIdsIn = (html: string): string[] =>
  [...html.matchAll(/name="pendingUploads" value="([0-9a-f]{24})"/g)].map((m) => m[1]!);

/** Item 9: a file attached to a refused form is kept, shown, removable and carried by the corrected submission. */
describe('files of a refused form are kept', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let client: Agent;

  before(async () => {
    tp = await startTestPortal('pending-uploads');
    world = await makeWorld();
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
  });
  after(() => tp.stop());

  async function post(agent: Agent, fields: Record<string, string | string[]>, file?: Buffer) {
    const token = csrfFrom((await agent.get('/tickets/new/invoice').expect(200)).text);
    let req = agent.post('/tickets/new/invoice').field('_csrf', token);
    for (const [k, v] of Object.entries(fields))
      for (const item of Array.isArray(v) ? v : [v]) req = req.field(k, item);
    if (file) req = req.attach('attachments', file, 'fattura-77.pdf');
    return await req;
  }

  async function refusedWithFile(invoiceNumber: string): Promise<string> {
    // The invoice number is missing: refused, with the PDF attached.
    const res = await post(client, { ...invoiceFields, 'fields.invoiceNumber': '' }, pdf);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('e-fields.invoiceNumber');
    const [id, ...more] = keptIdsIn(res.text);
    expect(more).to.deep.equal([]);
    expect(id, 'the refused form shows the file as still attached').to.be.a('string');
    expect(decodeHtml(res.text)).to.include('fattura-77.pdf').and.include('Rimuovi fattura-77.pdf');
    expect(
      await Ticket.countDocuments({ tenantId: world.acme._id, 'fields.invoiceNumber': invoiceNumber }),
    ).to.equal(0);
    return id!;
  }

  it('shows the file on the refused form and attaches it on the corrected submission', async () => {
    const id = await refusedWithFile('2026/77');
    const res = await post(client, {
      ...invoiceFields,
      'fields.invoiceNumber': '2026/77',
      pendingUploads: id,
    });
    expect(res.status, res.text.slice(0, 300)).to.equal(302);
    const ticket = await Ticket.findOne({
      tenantId: world.acme._id,
      'fields.invoiceNumber': '2026/77',
    }).lean();
    const files = await Attachment.find({ tenantId: world.acme._id, ticketId: ticket!._id }).lean();
    expect(files.map((f) => f.filename)).to.deep.equal(['fattura-77.pdf']);
    const stored = await mongoose.connection
      .db!.collection('attachments.files')
      .findOne({ _id: files[0]!.fileId });
    expect(stored?.length).to.equal(pdf.length);
    const page = await client.get(`/tickets/${ticket!.number}`).expect(200);
    const link = /href="\/attachments\/([0-9a-f]{24})"/.exec(page.text)?.[1];
    const download = await client
      .get(`/attachments/${link}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(sha(download.body as Buffer)).to.equal(sha(pdf));
    // Used: the pending row and its own bytes are gone.
    expect(await PendingUpload.countDocuments({ tenantId: world.acme._id, _id: id })).to.equal(0);
  });

  it('keeps the file through a second refusal, and drops it when ticked for removal', async () => {
    const id = await refusedWithFile('2026/78');
    const again = await post(client, { ...invoiceFields, 'fields.invoiceNumber': '', pendingUploads: id });
    expect(again.status).to.equal(422);
    expect(keptIdsIn(again.text)).to.deep.equal([id]);
    const res = await post(client, {
      ...invoiceFields,
      'fields.invoiceNumber': '2026/78',
      pendingUploads: id,
      removeUploads: id,
    });
    expect(res.status).to.equal(302);
    const ticket = await Ticket.findOne({
      tenantId: world.acme._id,
      'fields.invoiceNumber': '2026/78',
    }).lean();
    expect(await Attachment.countDocuments({ tenantId: world.acme._id, ticketId: ticket!._id })).to.equal(0);
    expect(await PendingUpload.countDocuments({ tenantId: world.acme._id, _id: id })).to.equal(0);
  });

  it('is of no use from another session or another tenant', async () => {
    const id = await refusedWithFile('2026/79');
    // The same person signed in elsewhere (another session), and a user of another tenant.
    const otherSession = await signedInAgent(tp.url, world.users.acmeUser.email);
    const otherTenant = await signedInAgent(tp.url, world.users.nordUser.email);
    for (const agent of [otherSession, otherTenant]) {
      const res = await post(agent, {
        ...invoiceFields,
        'fields.invoiceNumber': '2026/79',
        pendingUploads: id,
      });
      expect(res.status).to.equal(422);
      expect(keptIdsIn(res.text)).to.deep.equal([]);
      // Each in their own language: the file is not there for them, and the form says so.
      expect(decodeHtml(res.text)).to.match(/non è più disponibile|ikke længere tilgængelig/);
    }
    expect(
      await Ticket.countDocuments({ 'fields.invoiceNumber': '2026/79' }).setOptions({ allTenants: true }),
    ).to.equal(0);
    // Still the owner's: their corrected submission carries it.
    const res = await post(client, {
      ...invoiceFields,
      'fields.invoiceNumber': '2026/79',
      pendingUploads: id,
    });
    expect(res.status).to.equal(302);
    const ticket = await Ticket.findOne({
      tenantId: world.acme._id,
      'fields.invoiceNumber': '2026/79',
    }).lean();
    expect(await Attachment.countDocuments({ tenantId: world.acme._id, ticketId: ticket!._id })).to.equal(1);
  });

  it('keeps the file of a refused reply and sends it with the corrected one', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Reply with a file');
    const page = `/tickets/${ticket.number}`;
    const token = csrfFrom((await client.get(page).expect(200)).text);
    // No text: refused, the file kept.
    const refused = await client
      .post(`${page}/replies`)
      .field('_csrf', token)
      .field('body', '')
      .attach('attachments', pdf, 'bolla.pdf');
    expect(refused.status).to.equal(422);
    const [id] = keptIdsIn(refused.text);
    expect(id).to.be.a('string');
    expect(decodeHtml(refused.text)).to.include('bolla.pdf');
    const sent = await client
      .post(`${page}/replies`)
      .field('_csrf', csrfFrom(refused.text))
      .field('body', 'Here is the delivery note.')
      .field('pendingUploads', id!);
    expect(sent.status).to.equal(302);
    const files = await Attachment.find({ tenantId: world.acme._id, ticketId: ticket._id }).lean();
    expect(files.map((f) => f.filename)).to.deep.equal(['bolla.pdf']);
    const shown = (await client.get(page).expect(200)).text;
    expect(shown).to.include('Here is the delivery note.').and.include('bolla.pdf');
  });

  it('names a refused file on a form refused for another field, and keeps none of its bytes', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(512, 1)]);
    const res = await post(client, { ...invoiceFields, 'fields.invoiceNumber': '' }, exe);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('e-fields.invoiceNumber');
    expect(keptIdsIn(res.text)).to.deep.equal([]);
    expect(decodeHtml(res.text)).to.include('fattura-77.pdf').and.include('sono accettati solo file PDF');
  });

  it('says so, and attaches nothing, when the kept bytes are gone (a crash cut them short)', async () => {
    const id = await refusedWithFile('2026/81');
    const row = await PendingUpload.findOne({ tenantId: world.acme._id, _id: id }).lean();
    await mongoose.connection.db!.collection('attachments.files').deleteOne({ _id: row!.fileId });
    const res = await post(client, {
      ...invoiceFields,
      'fields.invoiceNumber': '2026/81',
      pendingUploads: id,
    });
    expect(res.status).to.equal(422);
    expect(decodeHtml(res.text)).to.include('non è più disponibile');
    expect(await PendingUpload.countDocuments({ tenantId: world.acme._id, _id: id })).to.equal(0);
    expect(
      await Ticket.countDocuments({ tenantId: world.acme._id, 'fields.invoiceNumber': '2026/81' }),
    ).to.equal(0);
  });

  it('removes uploads left unclaimed for a day, bytes included', async () => {
    const id = await refusedWithFile('2026/80');
    const row = await PendingUpload.findOne({ tenantId: world.acme._id, _id: id }).lean();
    expect(await purgeStalePendingUploads(new Date())).to.equal(0);
    expect(await purgeStalePendingUploads(new Date(Date.now() + 25 * 3600_000))).to.be.at.least(1);
    expect(await PendingUpload.countDocuments({ tenantId: world.acme._id, _id: id })).to.equal(0);
    expect(
      await mongoose.connection.db!.collection('attachments.files').countDocuments({ _id: row!.fileId }),
    ).to.equal(0);
  });
});
