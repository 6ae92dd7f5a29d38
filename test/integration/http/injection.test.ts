import { expect } from 'chai';
import supertest from 'supertest';
import { MailKey } from '../../../models/mail-key.js';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { issueLinkToken } from '../../../server/domain/auth/link-tokens.js';
import { auditActionLabel } from '../../../server/domain/reports/audit-view.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeUser, makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { tableRows } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** Operator payloads where strings are expected: in JSON, in bracket syntax, in queries, in paths. */
const operators: Array<Record<string, unknown>> = [
  { $ne: null },
  { $gt: '' },
  { $where: '1' },
  { $regex: '.*' },
];
const bracketed = ['[$ne]=x', '[$gt]=', '[$where]=1', '[$regex]=.*'];
const pathPayloads = [
  '{"$ne":null}',
  '{"$gt":""}',
  '{"$where":"1"}',
  '{"$regex":".*"}',
  '$ne',
  '[$ne]',
  'aaaaaaaaaaaa',
  '.*',
];

describe('operator injection', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let admin: Agent;

  before(async () => {
    tp = await startTestPortal('injection');
    world = await makeWorld();
    admin = await signedInAgent(tp.url, world.users.admin.email);
  });
  after(() => tp?.stop());

  /** A cookie-keeping client and the CSRF token of its session. */
  async function withToken(
    agent: Agent = supertest.agent(tp.url),
    page = '/login',
  ): Promise<{ agent: Agent; token: string }> {
    const res = await agent.get(page).expect(200);
    return { agent, token: csrfFrom(res.text) };
  }
  const postJson = (agent: Agent, url: string, body: unknown) =>
    agent
      .post(url)
      .set('Accept', 'text/html')
      .send(body as object);
  const postRaw = (agent: Agent, url: string, body: string) =>
    agent.post(url).set('Accept', 'text/html').type('form').send(body);
  const noServerError = (res: { status: number }, what: string) =>
    expect(res.status, `${what} answered ${res.status}`).to.be.below(500);

  describe('sign-in', () => {
    it('never succeeds with operators in a JSON body', async () => {
      const victim = await makeUser({ role: 'client_admin', tenantId: world.acme.id });
      for (const op of operators) {
        for (const body of [
          { email: op, password: op },
          { email: victim.email, password: op },
          { email: op, password: PASSWORD },
        ]) {
          const { agent, token } = await withToken();
          const res = await postJson(agent, '/login', { ...body, _csrf: token });
          expect(res.status, JSON.stringify(body)).to.equal(401);
          await agent.get('/').expect(302);
        }
      }
      // Garbage does not count against the real person.
      const { agent, token } = await withToken();
      await postJson(agent, '/login', { email: victim.email, password: PASSWORD, _csrf: token }).expect(302);
    });

    it('never succeeds with bracket syntax in a form body', async () => {
      const victim = await makeUser({ role: 'client_user', tenantId: world.nord.id });
      const email = encodeURIComponent(victim.email);
      for (const b of bracketed) {
        for (const body of [
          `email${b}&password${b}`,
          `email=${email}&password${b}`,
          `email${b}&password=${PASSWORD}`,
        ]) {
          const { agent, token } = await withToken();
          const res = await postRaw(agent, '/login', `${body}&_csrf=${token}`);
          expect(res.status, body).to.equal(401);
          await agent.get('/').expect(302);
        }
      }
    });

    it('never succeeds with operators in the query string', async () => {
      for (const b of bracketed) {
        const { agent, token } = await withToken();
        const res = await postRaw(agent, `/login?email${b}&password${b}`, `_csrf=${token}`);
        expect(res.status, b).to.equal(401);
        await agent.get('/').expect(302);
        noServerError(await agent.get(`/login?next${b}`), `GET /login?next${b}`);
      }
    });

    it('does not take an operator for a CSRF token', async () => {
      for (const op of operators) {
        const { agent } = await withToken();
        const res = await postJson(agent, '/login', {
          email: world.users.acmeUser.email,
          password: PASSWORD,
          _csrf: op,
        });
        expect(res.status, JSON.stringify(op)).to.equal(403);
      }
      for (const b of bracketed) {
        const { agent } = await withToken();
        const res = await postRaw(
          agent,
          '/login',
          `email=${encodeURIComponent(world.users.acmeUser.email)}&password=${PASSWORD}&_csrf${b}`,
        );
        expect(res.status, b).to.equal(403);
        await agent.get('/').expect(302);
      }
    });

    it('answers malformed JSON with 400', async () => {
      const res = await supertest(tp.url)
        .post('/login')
        .set('Content-Type', 'application/json')
        .set('Accept', 'text/html')
        .send('{"email": {"$ne"');
      expect(res.status).to.equal(400);
    });
  });

  describe('admin list filters', () => {
    const auditRows = async (query: string) => {
      const res = await admin.get(`/admin/audit${query}`);
      noServerError(res, `GET /admin/audit${query}`);
      return { status: res.status, rows: res.status === 200 ? tableRows(res.text, 'audit') : [] };
    };

    before(async () => {
      // Some events of both kinds, in both tenants.
      await signedInAgent(tp.url, world.users.acmeUser.email);
      await signedInAgent(tp.url, world.users.nordUser.email);
      const { agent, token } = await withToken();
      await postJson(agent, '/login', {
        email: world.users.nordAdmin.email,
        password: 'wrong-password',
        _csrf: token,
      }).expect(401);
    });

    it('ignores operators on the action filter: the list is the unfiltered one, never its inverse', async () => {
      const all = await auditRows('');
      expect(all.rows.map((r) => r[2]))
        .to.include(auditActionLabel('auth.sign_in', 'en'))
        .and.include(auditActionLabel('auth.sign_in_failed', 'en'));
      for (const b of bracketed) {
        const injected = await auditRows(`?action${b}`);
        if (injected.status === 200) expect(injected.rows, `?action${b}`).to.deep.equal(all.rows);
        else expect(injected.status, `?action${b}`).to.equal(422);
      }
      const signIns = await auditRows('?action=auth.sign_in');
      expect(signIns.rows.length).to.be.greaterThan(0);
      expect(signIns.rows.every((r) => r[2] === auditActionLabel('auth.sign_in', 'en'))).to.equal(true);
      for (const b of bracketed) {
        const injected = await auditRows(`?action=auth.sign_in&action${b}`);
        if (injected.status === 200)
          expect(injected.rows, `?action=auth.sign_in&action${b}`).to.deep.equal(signIns.rows);
        else expect(injected.status).to.equal(422);
      }
    });

    it('ignores operators on the tenant filter', async () => {
      const all = await auditRows('');
      const acme = await auditRows(`?tenant=${String(world.acme.id)}`);
      expect(acme.rows.length).to.be.greaterThan(0);
      expect(acme.rows.every((r) => r[3] === world.acme.code)).to.equal(true);
      for (const b of bracketed) {
        const injected = await auditRows(`?tenant${b}`);
        if (injected.status === 200) expect(injected.rows, `?tenant${b}`).to.deep.equal(all.rows);
        else expect(injected.status).to.equal(422);
        const narrowed = await auditRows(`?tenant=${String(world.acme.id)}&tenant${b}`);
        if (narrowed.status === 200)
          expect(narrowed.rows, `?tenant=acme&tenant${b}`).to.deep.equal(acme.rows);
        else expect(narrowed.status).to.equal(422);
      }
    });

    it('refuses operator-looking values and repeated parameters as invalid input', async () => {
      for (const query of [
        `?action=${encodeURIComponent('{"$ne":null}')}`,
        `?action=${encodeURIComponent('.*')}`,
        `?tenant=${encodeURIComponent('{"$gt":""}')}`,
        '?action=auth.sign_in&action=auth.sign_out',
        `?tenant=${String(world.acme.id)}&tenant=${String(world.nord.id)}`,
      ]) {
        const res = await auditRows(query);
        expect(res.status, query).to.equal(422);
      }
    });

    it('leaves pages that take no filters unchanged', async () => {
      const acmeAdmin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const strip = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, '');
      for (const [agent, path] of [
        [admin, '/admin/tenants'],
        [admin, '/admin/staff'],
        [admin, '/'],
        [acmeAdmin, '/team'],
      ] as const) {
        const plain = await agent.get(path).expect(200);
        for (const b of bracketed) {
          for (const name of ['status', 'tenantId']) {
            const res = await agent.get(`${path}?${name}${b}`);
            expect(res.status, `${path}?${name}${b}`).to.equal(200);
            expect(strip(res.text), `${path}?${name}${b}`).to.equal(strip(plain.text));
          }
        }
      }
    });
  });

  describe('route params', () => {
    it('answers 404 to operators in ids and tokens, and changes nothing', async () => {
      const acmeAdmin = await withToken(await signedInAgent(tp.url, world.users.acmeAdmin.email), '/team');
      const adminToken = csrfFrom((await admin.get('/admin/staff').expect(200)).text);
      for (const raw of pathPayloads) {
        const p = encodeURIComponent(raw);
        for (const url of [`/admin/tenants/${p}`, `/admin/staff/${p}`]) {
          const res = await admin.get(url);
          expect(res.status, url).to.equal(404);
        }
        for (const url of [`/password/reset/${p}`, `/invite/${p}`]) {
          const res = await supertest(tp.url).get(url);
          expect(res.status, url).to.equal(404);
        }
        for (const [url, body] of [
          [`/admin/tenants/${p}/status`, 'status=suspended'],
          [`/admin/staff/${p}/status`, 'status=disabled'],
          [`/admin/staff/${p}`, 'name=Evil+Twin&role=admin&locale='],
          [`/admin/tenants/${p}`, 'code=evil&legalName=Evil+Corp&timeZone=UTC&locale=en'],
        ] as const) {
          const res = await postRaw(admin, url, `${body}&_csrf=${adminToken}`);
          expect(res.status, `POST ${url}`).to.equal(404);
        }
        const team = await postRaw(
          acmeAdmin.agent,
          `/team/${p}/status`,
          `status=disabled&_csrf=${acmeAdmin.token}`,
        );
        expect(team.status, `POST /team/${p}/status`).to.equal(404);
      }
      expect(await Tenant.countDocuments({ status: { $ne: 'active' } })).to.equal(0);
      expect(await User.countDocuments({ status: 'disabled' }).setOptions({ allTenants: true })).to.equal(0);
      expect(await User.countDocuments({ role: 'admin' }).setOptions({ allTenants: true })).to.equal(1);
    });
  });

  describe('form bodies', () => {
    it('refuses operators in every form field with 422, and changes nothing', async () => {
      // Every mail ever queued keeps its key row (sent mail leaves the outbox; its key stays).
      const mailsBefore = await MailKey.countDocuments({});
      const acmeAdmin = await withToken(await signedInAgent(tp.url, world.users.acmeAdmin.email), '/team');
      const adminToken = csrfFrom((await admin.get('/admin/staff').expect(200)).text);
      const target = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
      const resetUser = await makeUser({ role: 'client_user', tenantId: world.acme.id });
      const link = `/password/reset/${await issueLinkToken(String(resetUser.id), 'reset')}`;
      for (const op of operators) {
        const anon = await withToken();
        const cases: Array<[Agent, string, Record<string, unknown>]> = [
          [anon.agent, '/password/forgot', { email: op, _csrf: anon.token }],
          [anon.agent, link, { password: op, confirm: op, _csrf: anon.token }],
          [
            acmeAdmin.agent,
            '/team',
            { name: 'Eve Mallory', email: op, role: 'client_admin', _csrf: acmeAdmin.token },
          ],
          [
            acmeAdmin.agent,
            '/team',
            { name: 'Eve Mallory', email: 'eve@example.test', role: op, _csrf: acmeAdmin.token },
          ],
          [
            acmeAdmin.agent,
            `/team/${String(world.users.acmeUser.id)}/status`,
            { status: op, _csrf: acmeAdmin.token },
          ],
          [admin, `/admin/staff/${String(target.id)}/status`, { status: op, _csrf: adminToken }],
          [
            admin,
            `/admin/staff/${String(target.id)}`,
            { name: 'Renamed', role: op, tenantIds: op, _csrf: adminToken },
          ],
          [
            admin,
            '/admin/staff',
            { name: 'Eve', email: 'eve@desk.example', role: 'operator', tenantIds: [op], _csrf: adminToken },
          ],
          [admin, `/admin/tenants/${String(world.acme.id)}/status`, { status: op, _csrf: adminToken }],
          [
            admin,
            '/admin/tenants',
            { code: op, legalName: 'Evil Corp', timeZone: 'UTC', locale: 'en', _csrf: adminToken },
          ],
          [
            admin,
            `/admin/tenants/${String(world.nord.id)}`,
            { code: 'nord', legalName: op, timeZone: op, locale: 'da', _csrf: adminToken },
          ],
        ];
        for (const [agent, url, body] of cases) {
          const res = await postJson(agent, url, body);
          expect(res.status, `${url} ${JSON.stringify(body)}`).to.equal(422);
        }
        for (const b of bracketed) {
          const res = await postRaw(anon.agent, '/password/forgot', `email${b}&_csrf=${anon.token}`);
          expect(res.status, `/password/forgot email${b}`).to.equal(422);
          const team = await postRaw(
            acmeAdmin.agent,
            '/team',
            `name=Eve+Mallory&email${b}&role=client_user&_csrf=${acmeAdmin.token}`,
          );
          expect(team.status, `/team email${b}`).to.equal(422);
        }
      }
      await supertest(tp.url).get(link).expect(200);
      expect(await MailKey.countDocuments({})).to.equal(mailsBefore);
      expect(
        await User.countDocuments({ email: { $in: ['eve@example.test', 'eve@desk.example'] } }).setOptions({
          allTenants: true,
        }),
      ).to.equal(0);
      expect((await User.findById(target.id).setOptions({ allTenants: true }).lean())?.role).to.equal(
        'operator',
      );
      expect(await Tenant.countDocuments({ status: { $ne: 'active' } })).to.equal(0);
      expect(await User.countDocuments({ status: 'disabled' }).setOptions({ allTenants: true })).to.equal(0);
      expect((await Tenant.findById(world.nord.id).lean())?.legalName).to.equal(world.nord.legalName);
    });
  });
});
