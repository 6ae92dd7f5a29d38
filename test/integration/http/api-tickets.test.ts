import { expect } from 'chai';
import { createHash } from 'node:crypto';
import supertest from 'supertest';
import { ApiToken } from '../../../models/api-token.js';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { Tenant } from '../../../models/tenant.js';
import { setTeamMemberStatus } from '../../../server/domain/tenants/team.js';
import { apiTokenCachePolicy, revokeApiToken } from '../../../server/domain/tenants/api-tokens.js';
import { setTenantStatus } from '../../../server/domain/tenants/tenants.js';
import {
  errorJson,
  replyJson,
  ticketDetailJson,
  ticketJson,
  ticketListJson,
  attachmentListJson,
} from '../../../server/http/api/schemas.js';
import {
  apiClient,
  binary,
  bodies,
  exeBytes,
  htmlBytes,
  pdfBytes,
  pngBytes,
  tokenOf,
  userCtx,
} from '../../support/api.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('REST API: tickets', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: ReturnType<typeof apiClient>;
  let nord: ReturnType<typeof apiClient>;

  before(async () => {
    tp = await startTestPortal('api-tickets');
    world = await makeWorld();
    acme = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    nord = apiClient(tp.url, (await tokenOf(world.users.nordAdmin)).token);
  });
  after(() => tp?.stop());

  const prefix = (): string => world.acme.code.toUpperCase();

  describe('opening tickets', () => {
    it('opens one of each type: 201, a number, a Location, stable public JSON', async () => {
      const numbers: string[] = [];
      for (const body of [
        bodies.dataEntry(),
        bodies.complaint(),
        bodies.invoice({ invoiceNumber: 'TYPES-1' }),
      ]) {
        const res = await acme.post('/tickets').send(body).expect(201);
        expect(res.headers['content-type']).to.match(/^application\/json/);
        const ticket = ticketJson.parse(res.body);
        expect(ticket.type).to.equal(body.type);
        expect(ticket.number).to.match(new RegExp(`^${prefix()}-\\d{6}$`));
        expect(ticket.channel).to.equal('api');
        expect(ticket.status).to.equal('new');
        expect(res.headers.location).to.equal(`/api/v1/tickets/${ticket.number}`);
        expect(res.body).to.not.have.any.keys('searchText', 'seq', 'tenantId', 'queueId', '_id', '__v');
        expect(new Date(ticket.createdAt).toISOString()).to.equal(ticket.createdAt);
        expect(ticket.requester.email).to.equal(world.users.acmeAdmin.email);
        numbers.push(ticket.number);
      }
      expect(numbers[0]).to.match(/-000001$/);
      expect(new Set(numbers).size).to.equal(3);
      const invoice = await acme.get(`/tickets/${numbers[2]}`).expect(200);
      expect(invoice.body.fields.supplierVat).to.equal('DK12345674');
      expect(invoice.body.fields.currency).to.equal('EUR');
    });

    it('refuses invalid input with 422 and the path of each field', async () => {
      const res = await acme
        .post('/tickets')
        .send(bodies.invoice({ supplierVat: '1', amount: 'lots', dueDate: '2026-01-01' }))
        .expect(422);
      errorJson.parse(res.body);
      expect(res.body.error.code).to.equal('validation');
      const paths = (res.body.error.fields as Array<{ path: string; message: string }>).map((f) => f.path);
      expect(paths).to.include.members(['fields.supplierVat', 'fields.amount']);
      for (const f of res.body.error.fields as Array<{ message: string }>)
        expect(f.message).to.be.a('string').and.not.equal('');

      const noType = await acme.post('/tickets').send({ subject: 'No type at all', fields: {} }).expect(422);
      expect(noType.body.error.fields.map((f: { path: string }) => f.path)).to.include('type');
      const badEnum = await acme
        .post('/tickets')
        .send(bodies.complaint({ priority: 'whenever' }))
        .expect(422);
      expect(badEnum.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['priority']);
      const dates = await acme
        .post('/tickets')
        .send(bodies.invoice({ invoiceNumber: 'D-1', issueDate: '2026-05-01', dueDate: '2026-04-01' }))
        .expect(422);
      expect(dates.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['fields.dueDate']);
      const broken = await acme
        .post('/tickets')
        .set('Content-Type', 'application/json')
        .send('{"type":')
        .expect(400);
      expect(broken.body.error.code).to.equal('bad_request');
      expect(await Ticket.countDocuments({ tenantId: world.acme._id, subject: 'No type at all' })).to.equal(
        0,
      );
    });

    it('flags the second invoice with the same supplier VAT and number as a duplicate of the first', async () => {
      const first = await acme
        .post('/tickets')
        .send(bodies.invoice({ invoiceNumber: 'DUP-7', supplierVat: 'DK-1234.5674' }))
        .expect(201);
      expect(first.body.duplicateOf).to.equal(null);
      const second = await acme
        .post('/tickets')
        .send(bodies.invoice({ invoiceNumber: 'DUP-7', supplierVat: 'dk12345674' }))
        .expect(201);
      expect(second.body.duplicateOf).to.deep.equal({ number: first.body.number });
      // Another supplier, or another tenant, with the same invoice number is no duplicate.
      const other = await acme
        .post('/tickets')
        .send(bodies.invoice({ invoiceNumber: 'DUP-7', supplierVat: 'IT01234567897' }))
        .expect(201);
      expect(other.body.duplicateOf).to.equal(null);
      const foreign = await nord
        .post('/tickets')
        .send(bodies.invoice({ invoiceNumber: 'DUP-7', supplierVat: 'DK12345674' }))
        .expect(201);
      expect(foreign.body.duplicateOf).to.equal(null);
    });

    it('decides the original once when one invoice arrives many times at once, whatever the case of its number', async () => {
      const racer = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin, 'Racer')).token);
      const sent = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          racer
            .post('/tickets')
            .send(bodies.invoice({ invoiceNumber: i % 2 ? 'race-42' : 'RACE-42', supplierVat: 'DK12345674' }))
            .expect(201),
        ),
      );
      const originals = sent.filter((r) => r.body.duplicateOf === null);
      expect(originals, 'exactly one original').to.have.length(1);
      const original = originals[0]!.body.number as string;
      for (const r of sent)
        if (r.body.number !== original) expect(r.body.duplicateOf).to.deep.equal({ number: original });
      // Stored as answered, and a later one finds the same original.
      const stored = await Ticket.find({
        tenantId: world.acme._id,
        number: { $in: sent.map((r) => r.body.number as string) },
      }).lean();
      expect(stored.filter((t) => !t.duplicateOf).map((t) => t.number)).to.deep.equal([original]);
      const later = await racer
        .post('/tickets')
        .send(bodies.invoice({ invoiceNumber: 'Race-42', supplierVat: 'dk 1234 5674' }))
        .expect(201);
      expect(later.body.duplicateOf).to.deep.equal({ number: original });
    });
  });

  describe('following tickets', () => {
    let number = '';
    let id = '';
    before(async () => {
      const res = await acme
        .post('/tickets')
        .send(bodies.complaint({ subject: 'Follow me please' }))
        .expect(201);
      number = res.body.number;
      id = res.body.id;
    });

    it("lists the company's tickets, newest first, with filters and pages", async () => {
      const res = await acme.get('/tickets').expect(200);
      const list = ticketListJson.parse(res.body);
      expect(list.page).to.equal(1);
      expect(list.data[0]?.number).to.equal(number);
      expect(list.data.every((t) => t.number.startsWith(`${prefix()}-`))).to.equal(true);
      expect(res.body.data[0]).to.not.have.any.keys('description', 'searchText');
      const complaints = await acme.get('/tickets?type=complaint&status=new&priority=high').expect(200);
      expect(complaints.body.data.length).to.be.greaterThan(0);
      expect(
        complaints.body.data.every(
          (t: { type: string; priority: string }) => t.type === 'complaint' && t.priority === 'high',
        ),
      ).to.equal(true);
      const none = await acme.get('/tickets?status=closed').expect(200);
      expect(none.body.data).to.deep.equal([]);
      const page2 = await acme.get('/tickets?page=2').expect(200);
      expect(page2.body).to.include({ page: 2, hasMore: false });
      const bad = await acme.get('/tickets?status=sleeping&page=0').expect(422);
      expect(bad.body.error.fields.map((f: { path: string }) => f.path)).to.have.members(['status', 'page']);
    });

    it('gets one ticket by number or id, with its public history', async () => {
      const byNumber = await acme.get(`/tickets/${number}`).expect(200);
      const detail = ticketDetailJson.parse(byNumber.body);
      expect(detail.id).to.equal(id);
      expect(detail.timeline.map((e) => e.kind)).to.deep.equal(['created']);
      expect(detail.timeline[0]?.data).to.deep.equal({ channel: 'api' });
      const byId = await acme.get(`/tickets/${id}`).expect(200);
      expect(byId.body.number).to.equal(number);
      const lower = await acme.get(`/tickets/${number.toLowerCase()}`).expect(200);
      expect(lower.body.id).to.equal(id);
    });

    it('adds a reply (201) that shows in the history; refuses an empty one', async () => {
      const res = await acme
        .post(`/tickets/${number}/replies`)
        .send({ body: 'Photos follow tomorrow.' })
        .expect(201);
      const reply = replyJson.parse(res.body);
      expect(reply.entry).to.include({ kind: 'reply', body: 'Photos follow tomorrow.' });
      expect(reply.entry.author).to.deep.equal({ name: world.users.acmeAdmin.name, kind: 'client' });
      expect(reply.ticket.version).to.be.greaterThan(1);
      const detail = await acme.get(`/tickets/${number}`).expect(200);
      expect(detail.body.timeline.map((e: { kind: string }) => e.kind)).to.deep.equal(['created', 'reply']);
      const empty = await acme.post(`/tickets/${number}/replies`).send({ body: '   ' }).expect(422);
      expect(empty.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['body']);
      // A client system cannot write staff notes, whatever it sends.
      await acme.post(`/tickets/${number}/replies`).send({ body: 'sneaky', internal: true }).expect(201);
      const after = await acme.get(`/tickets/${number}`).expect(200);
      expect(after.body.timeline.filter((e: { kind: string }) => e.kind === 'note')).to.deep.equal([]);
    });
  });

  describe('replying and setting the status in one request', () => {
    it("sends and resolves through the composer's operation; a refused move leaves the reply sent", async () => {
      const opened = ticketJson.parse(
        (await acme.post('/tickets').send(bodies.complaint()).expect(201)).body,
      );
      const plain = replyJson.parse(
        (await acme.post(`/tickets/${opened.number}/replies`).send({ body: 'Just a note.' }).expect(201))
          .body,
      );
      expect(plain.status).to.equal(null);
      expect(plain.assigned).to.equal(false);

      // A client may not set "waiting for client": the reply stands, the answer says why in its language.
      const refused = await acme
        .post(`/tickets/${opened.number}/replies`)
        .set('Accept-Language', 'en')
        .send({ body: 'Please wait for us.', status: 'pending' })
        .expect(201);
      const r = replyJson.parse(refused.body);
      expect(r.entry).to.include({ kind: 'reply', body: 'Please wait for us.' });
      expect(r.status?.to).to.equal('pending');
      expect(r.status?.done).to.equal(false);
      expect(r.status?.refused?.code).to.be.a('string').and.not.equal('');
      expect(r.status?.refused?.message).to.be.a('string').and.not.equal('');
      expect(r.ticket.status).to.not.equal('pending');

      // The requester's company admin settles it: the reply and the status in one request.
      const resolved = replyJson.parse(
        (
          await acme
            .post(`/tickets/${opened.number}/replies`)
            .send({ body: 'Sorted on our side, thanks.', status: 'resolved' })
            .expect(201)
        ).body,
      );
      expect(resolved.status).to.deep.equal({ to: 'resolved', done: true });
      expect(resolved.ticket.status).to.equal('resolved');
      // A client's reply never assigns the ticket (only a staff member's public reply does).
      expect(resolved.assigned).to.equal(false);
      expect(resolved.ticket.assignee).to.equal(null);
      const stored = await Ticket.findOne({ tenantId: world.acme._id, number: opened.number }).lean();
      expect(stored?.status).to.equal('resolved');
      const detail = await acme.get(`/tickets/${opened.number}`).expect(200);
      expect(detail.body.timeline.filter((e: { kind: string }) => e.kind === 'reply')).to.have.length(3);

      const bad = await acme
        .post(`/tickets/${opened.number}/replies`)
        .send({ body: 'x', status: 'closed' })
        .expect(422);
      expect(errorJson.parse(bad.body).error.fields?.map((f) => f.path)).to.deep.equal(['status']);
    });

    it("refuses a status on another company's ticket as it refuses the reply (404)", async () => {
      const opened = ticketJson.parse(
        (await acme.post('/tickets').send(bodies.complaint()).expect(201)).body,
      );
      await nord
        .post(`/tickets/${opened.number}/replies`)
        .send({ body: 'Not mine.', status: 'resolved' })
        .expect(404);
      const stored = await Ticket.findOne({ tenantId: world.acme._id, number: opened.number }).lean();
      expect(stored?.status).to.equal('new');
    });
  });

  describe('attachments', () => {
    let number = '';
    before(async () => {
      number = (
        await acme
          .post('/tickets')
          .send(bodies.dataEntry({ subject: 'Documents attached' }))
          .expect(201)
      ).body.number;
    });

    it('stores a PDF and a PNG and gives back exactly the same bytes, as a download', async () => {
      const pdf = pdfBytes();
      const png = pngBytes();
      const res = await acme
        .post(`/tickets/${number}/attachments`)
        .attach('file', pdf, { filename: 'scan.pdf', contentType: 'application/pdf' })
        .attach('file', png, { filename: 'photo.png', contentType: 'image/png' })
        .expect(201);
      const { data } = attachmentListJson.parse(res.body);
      expect(data.map((a) => [a.filename, a.contentType, a.size, a.sha256])).to.deep.equal([
        ['scan.pdf', 'application/pdf', pdf.length, sha(pdf)],
        ['photo.png', 'image/png', png.length, sha(png)],
      ]);
      for (const [a, original] of [
        [data[0], pdf],
        [data[1], png],
      ] as const) {
        const dl = await acme.get(`/attachments/${a?.id}`).buffer(true).parse(binary).expect(200);
        expect(sha(dl.body as Buffer)).to.equal(sha(original));
        expect(dl.headers['content-type']).to.equal(a?.contentType);
        expect(dl.headers['content-disposition']).to.match(
          new RegExp(`^attachment; filename="${a?.filename}"`),
        );
        expect(dl.headers['x-content-type-options']).to.equal('nosniff');
      }
      const detail = await acme.get(`/tickets/${number}`).expect(200);
      expect(detail.body.attachments.map((a: { filename: string }) => a.filename)).to.deep.equal([
        'scan.pdf',
        'photo.png',
      ]);
      expect(detail.body.timeline.map((e: { kind: string }) => e.kind)).to.include('attachment');
    });

    it('refuses an executable or an HTML page named .pdf with 422, storing nothing', async () => {
      for (const bytes of [exeBytes(), htmlBytes()]) {
        const res = await acme
          .post(`/tickets/${number}/attachments`)
          .attach('file', bytes, { filename: 'invoice.pdf', contentType: 'application/pdf' })
          .expect(422);
        expect(res.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['file']);
      }
      // One bad file among good ones: none is stored.
      await acme
        .post(`/tickets/${number}/attachments`)
        .attach('file', pdfBytes(), { filename: 'good.pdf' })
        .attach('file', exeBytes(), { filename: 'bad.pdf' })
        .expect(422);
      const detail = await acme.get(`/tickets/${number}`).expect(200);
      expect(detail.body.attachments.map((a: { filename: string }) => a.filename)).to.not.include.members([
        'invoice.pdf',
        'good.pdf',
        'bad.pdf',
      ]);
      const none = await acme.post(`/tickets/${number}/attachments`).field('note', 'no file').expect(422);
      expect(none.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['file']);
      const wrongField = await acme
        .post(`/tickets/${number}/attachments`)
        .attach('document', pdfBytes(), { filename: 'x.pdf' })
        .expect(422);
      expect(wrongField.body.error.fields.map((f: { path: string }) => f.path)).to.deep.equal(['file']);
    });

    it("never shows another company's attachments or accepts files for its tickets", async () => {
      const res = await acme
        .post(`/tickets/${number}/attachments`)
        .attach('file', pngBytes(), { filename: 'mine.png' })
        .expect(201);
      const attachmentId = res.body.data[0].id as string;
      await nord.get(`/attachments/${attachmentId}`).expect(404);
      await nord
        .post(`/tickets/${number}/attachments`)
        .attach('file', pngBytes(), { filename: 'theirs.png' })
        .expect(404);
      await acme.get('/attachments/not-an-id').expect(404);
    });

    it('takes no files or replies on a closed ticket (409)', async () => {
      const closed = (
        await acme
          .post('/tickets')
          .send(bodies.dataEntry({ subject: 'Closed soon' }))
          .expect(201)
      ).body;
      await Ticket.updateOne({ _id: closed.id, tenantId: world.acme._id }, { $set: { status: 'closed' } });
      const upload = await acme
        .post(`/tickets/${closed.number}/attachments`)
        .attach('file', pdfBytes(), { filename: 'late.pdf' })
        .expect(409);
      expect(upload.body.error.code).to.equal('conflict');
      await acme.post(`/tickets/${closed.number}/replies`).send({ body: 'too late' }).expect(409);
    });
  });

  describe('tenancy and tokens', () => {
    it("answers 404 for another company's ticket, by id and by number, and never lists it", async () => {
      const theirs = (
        await nord
          .post('/tickets')
          .send(bodies.complaint({ subject: 'Nordhavn only' }))
          .expect(201)
      ).body;
      for (const ref of [theirs.id, theirs.number]) {
        const res = await acme.get(`/tickets/${ref}`).expect(404);
        // Nothing but "not found" (in the token creator's language, Italian for Acme).
        expect(res.body).to.deep.equal({ error: { code: 'not_found', message: 'Non trovato.' } });
        const english = await acme.get(`/tickets/${ref}`).set('Accept-Language', 'en').expect(404);
        expect(english.body.error.message).to.equal('Not found.');
        await acme.post(`/tickets/${ref}/replies`).send({ body: 'hello' }).expect(404);
      }
      for (let page = 1; page <= 3; page++) {
        const list = await acme.get(`/tickets?page=${page}`).expect(200);
        expect(list.body.data.map((t: { id: string }) => t.id)).to.not.include(theirs.id);
        expect(JSON.stringify(list.body)).to.not.include(world.nord.code.toUpperCase());
      }
      await nord.get(`/tickets/${theirs.number}`).expect(200);
    });

    it('answers 401 without a token, with a malformed or unknown one, and ignores session cookies', async () => {
      const missing = await supertest(tp.url).get('/api/v1/tickets').expect(401);
      expect(missing.body.error.code).to.equal('unauthenticated');
      expect(missing.headers['www-authenticate']).to.match(/^Bearer/);
      await supertest(tp.url).get('/api/v1/tickets').set('Authorization', 'Bearer nonsense').expect(401);
      await supertest(tp.url)
        .get('/api/v1/tickets')
        .set('Authorization', `Bearer bdk_${'A'.repeat(43)}`)
        .expect(401);
      await supertest(tp.url).get('/api/v1/tickets').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
      const browser = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      await browser.get('/api/v1/tickets').expect(401);
      await browser.post('/api/v1/tickets').send(bodies.dataEntry()).expect(401);
    });

    it('stops a revoked token at once, and one whose creator or company is no longer active', async () => {
      const { token, id } = await tokenOf(world.users.acmeAdmin, 'Short-lived');
      const client = apiClient(tp.url, token);
      await client.get('/tickets').expect(200);
      expect(
        (await ApiToken.findOne({ _id: id, tenantId: world.acme._id }).lean())?.lastUsedAt,
      ).to.be.instanceOf(Date);
      expect(await revokeApiToken(userCtx(world.users.acmeAdmin), id)).to.deep.equal({ revoked: true });
      expect(await revokeApiToken(userCtx(world.users.acmeAdmin), id)).to.deep.equal({ revoked: false });
      const res = await client.get('/tickets').expect(401);
      expect(res.body.error.code).to.equal('unauthenticated');
      await client.post('/tickets').send(bodies.dataEntry()).expect(401);

      // Disabled by their company's admin (on this node): their tokens stop at once.
      const creator = await makeUser({ role: 'client_admin', tenantId: world.acme.id });
      const creatorToken = apiClient(tp.url, (await tokenOf(creator)).token);
      await creatorToken.get('/tickets').expect(200);
      await setTeamMemberStatus(userCtx(world.users.acmeAdmin), String(creator._id), 'disabled');
      await creatorToken.get('/tickets').expect(401);

      // The company suspended (on this node): its tokens stop at once.
      const other = await makeWorld();
      const suspended = apiClient(tp.url, (await tokenOf(other.users.acmeAdmin)).token);
      await suspended.get('/tickets').expect(200);
      await setTenantStatus(userCtx(world.users.admin), String(other.acme._id), 'suspended');
      await suspended.get('/tickets').expect(401);
    });

    it('stops a token within a couple of seconds when its creator or company is changed elsewhere (another node, the database)', async () => {
      // Written straight to the database, as another portal node would: this node notices when
      // its short-lived memory of accepted tokens runs out (apiTokenCachePolicy.ttlMs).
      const refusedWithin = async (client: ReturnType<typeof apiClient>, ms: number): Promise<number> => {
        const started = Date.now();
        for (;;) {
          const res = await client.get('/tickets');
          if (res.status === 401) return Date.now() - started;
          expect(res.status).to.equal(200);
          if (Date.now() - started > ms) throw new Error(`still accepted after ${ms} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const limit = apiTokenCachePolicy.ttlMs + 1000;
      expect(limit).to.be.at.most(3000);
      const creator = await makeUser({ role: 'client_admin', tenantId: world.acme.id });
      const creatorToken = apiClient(tp.url, (await tokenOf(creator)).token);
      await creatorToken.get('/tickets').expect(200);
      await User.updateOne({ _id: creator._id, tenantId: world.acme._id }, { $set: { status: 'disabled' } });
      await refusedWithin(creatorToken, limit);

      const other = await makeWorld();
      const suspended = apiClient(tp.url, (await tokenOf(other.users.acmeAdmin)).token);
      await suspended.get('/tickets').expect(200);
      await Tenant.updateOne({ _id: other.acme._id }, { $set: { status: 'suspended' } });
      await refusedWithin(suspended, limit);

      const { token, id } = await tokenOf(world.users.acmeAdmin, 'Revoked elsewhere');
      const revokedElsewhere = apiClient(tp.url, token);
      await revokedElsewhere.get('/tickets').expect(200);
      await ApiToken.updateOne({ _id: id, tenantId: world.acme._id }, { $set: { revokedAt: new Date() } });
      await refusedWithin(revokedElsewhere, limit);
    });

    it('answers unknown API paths with a JSON 404, token or not', async () => {
      await supertest(tp.url).get('/api/v1/nothing').expect(404);
      const res = await acme.get('/nothing').expect(404);
      expect(res.body.error.code).to.equal('not_found');
    });
  });
});
