import { expect } from 'chai';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { User } from '../../../models/user.js';
import { throttlePolicy } from '../../../server/domain/auth/throttle.js';
import { t } from '../../../server/i18n/i18n.js';
import { csrfFrom, postForm, signedInAgent } from '../../support/browser-session.js';
import { makeTenant, makeUser, makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { alertText, sessionCookieOf, sessionIdOf, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

describe('signing in and out', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('sign-in');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  const sessions = () => {
    const db = mongoose.connection.db;
    if (!db) throw new Error('not connected');
    return db.collection<{ _id: string }>('sessions');
  };
  const signIn = (agent: ReturnType<typeof supertest.agent>, email: string, password: string) =>
    postForm(agent, '/login', '/login', { email, password });

  it('signs a user in and sends them where they were going', async () => {
    const agent = supertest.agent(tp.url);
    const login = await agent.get('/login?next=%2Fteam').expect(200);
    const res = await agent
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfFrom(login.text),
        email: world.users.nordAdmin.email.toUpperCase(),
        password: PASSWORD,
        next: '/team',
      })
      .expect(302);
    expect(res.headers.location).to.equal('/team');
    const home = await agent.get('/').expect(200);
    expect(home.text).to.include(world.users.nordAdmin.name);
  });

  it('never sends a signed-in user off-site', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const res = await postForm(supertest.agent(tp.url), '/login', '/login', {
        email: world.users.nordUser.email,
        password: PASSWORD,
        next,
      });
      expect(res.status, next).to.equal(302);
      expect(res.headers.location, next).to.equal('/');
    }
  });

  it('answers a wrong password and an unknown e-mail address the same way', async () => {
    const user = await makeUser({ role: 'client_user', tenantId: world.nord.id });
    const wrongPassword = await signIn(supertest.agent(tp.url), user.email, 'not-the-password');
    const unknownEmail = await signIn(supertest.agent(tp.url), 'nobody-here@example.test', PASSWORD);
    expect(wrongPassword.status).to.equal(401);
    expect(unknownEmail.status).to.equal(401);
    expect(alertText(wrongPassword.text)).to.equal(t('en', 'auth.invalid_credentials'));
    expect(alertText(unknownEmail.text)).to.equal(alertText(wrongPassword.text));
    // The whole page is the same but for the typed address and the form token.
    const normalise = (html: string, email: string) =>
      html
        .split(email)
        .join('EMAIL')
        .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="TOKEN"');
    expect(normalise(unknownEmail.text, 'nobody-here@example.test')).to.equal(
      normalise(wrongPassword.text, user.email),
    );
  });

  it('gives a new session id on sign-in (no session fixation)', async () => {
    const agent = supertest.agent(tp.url);
    const loginPage = await agent.get('/login').expect(200);
    const before = sessionCookieOf(loginPage);
    expect(before, 'the sign-in page starts a session for its form token').to.be.a('string');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(loginPage.text), email: world.users.acmeUser.email, password: PASSWORD })
      .expect(302);
    const after = sessionCookieOf(res);
    expect(after, 'sign-in sets a new session cookie').to.be.a('string');
    const attributes = String(
      ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('desk.sid=')),
    );
    expect(attributes)
      .to.match(/;\s*HttpOnly/i)
      .and.match(/;\s*SameSite=Lax/i);
    expect(sessionIdOf(after as string)).to.not.equal(sessionIdOf(before as string));
    // The pre-login session id does not carry the sign-in.
    await supertest(tp.url)
      .get('/')
      .set('Cookie', before as string)
      .expect(302)
      .expect('Location', '/login?next=%2F');
    expect(await sessions().findOne({ _id: sessionIdOf(before as string) })).to.equal(null);
    await supertest(tp.url)
      .get('/')
      .set('Cookie', after as string)
      .expect(200);
  });

  it('ends the session on sign-out: the old cookie no longer works', async () => {
    const agent = supertest.agent(tp.url);
    const res = await signIn(agent, world.users.operatorBoth.email, PASSWORD);
    const cookie = sessionCookieOf(res) as string;
    await supertest(tp.url).get('/').set('Cookie', cookie).expect(200);
    const out = await postForm(agent, '/', '/logout', {});
    expect(out.status).to.equal(302);
    expect(out.headers.location).to.equal('/login');
    expect(await sessions().findOne({ _id: sessionIdOf(cookie) })).to.equal(null);
    await supertest(tp.url).get('/').set('Cookie', cookie).expect(302).expect('Location', '/login?next=%2F');
    await agent.get('/').expect(302);
  });

  it(`throttles an address after ${throttlePolicy.maxFailures} failures from one ip, even with the right password`, async () => {
    const victim = await makeUser({ role: 'client_user', tenantId: world.acme.id });
    const agent = supertest.agent(tp.url);
    for (let i = 0; i < throttlePolicy.maxFailures; i++) {
      const res = await signIn(agent, victim.email, `wrong-password-${i}`);
      expect(res.status, `failure ${i + 1}`).to.equal(401);
    }
    const blocked = await signIn(agent, victim.email, PASSWORD);
    expect(blocked.status).to.equal(429);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter)
      .to.be.greaterThan(0)
      .and.at.most(throttlePolicy.windowMs / 1000);
    expect(alertText(blocked.text)).to.include(
      t('en', 'auth.throttled', { minutes: Math.ceil(retryAfter / 60) }),
    );
    await agent.get('/').expect(302);
    // Per account: another person on the same ip still gets in.
    await signedInAgent(tp.url, world.users.acmeAdmin.email);
  });

  it('refuses a form post without or with a wrong CSRF token, and changes nothing', async () => {
    const agent = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    const invite = { name: 'Eve Mallory', email: 'eve@example.test', role: 'client_admin' };
    const missing = await agent.post('/team').type('form').send(invite);
    expect(missing.status).to.equal(403);
    expect(textOf(missing.text), 'Acme reads Italian').to.include(t('it', 'errors.csrf'));
    const wrong = await agent
      .post('/team')
      .type('form')
      .send({ ...invite, _csrf: 'a'.repeat(64) });
    expect(wrong.status).to.equal(403);
    const asJson = await agent.post('/team').set('X-CSRF-Token', 'forged').send(invite);
    expect(asJson.status).to.equal(403);
    expect(await User.countDocuments({ email: invite.email }).setOptions({ allTenants: true })).to.equal(0);

    // Signing in without a token does not sign in either.
    const anon = supertest.agent(tp.url);
    await anon
      .post('/login')
      .type('form')
      .send({ email: world.users.acmeUser.email, password: PASSWORD })
      .expect(403);
    await anon.get('/').expect(302);
  });

  it("refuses a disabled user's existing session on the next request", async () => {
    const victimUser = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    const victim = await signedInAgent(tp.url, victimUser.email);
    await victim.get('/').expect(200);
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const res = await postForm(admin, '/admin/staff', `/admin/staff/${String(victimUser.id)}/status`, {
      status: 'disabled',
    });
    expect(res.status).to.equal(302);
    await victim.get('/').expect(302).expect('Location', '/login?next=%2F');
    const again = await signIn(supertest.agent(tp.url), victimUser.email, PASSWORD);
    expect(again.status).to.equal(401);
  });

  it("keeps a suspended client's users out", async () => {
    const tenant = await makeTenant();
    const user = await makeUser({ role: 'client_admin', tenantId: tenant.id });
    const existing = await signedInAgent(tp.url, user.email);
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const res = await postForm(admin, '/admin/tenants', `/admin/tenants/${String(tenant.id)}/status`, {
      status: 'suspended',
    });
    expect(res.status).to.equal(302);
    const attempt = await signIn(supertest.agent(tp.url), user.email, PASSWORD);
    expect(attempt.status).to.equal(401);
    expect(alertText(attempt.text)).to.equal(t('en', 'auth.invalid_credentials'));
    await existing.get('/').expect(302);
  });

  it('lists sign-ins, failed sign-ins and role and assignment changes in the audit log', async () => {
    const operator = await makeUser({ role: 'operator', tenantIds: [world.acme.id] });
    await signedInAgent(tp.url, operator.email);
    await signIn(supertest.agent(tp.url), operator.email, 'not-the-password');
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const res = await postForm(
      admin,
      `/admin/staff/${String(operator.id)}`,
      `/admin/staff/${String(operator.id)}`,
      {
        name: operator.name,
        role: 'team_lead',
        tenantIds: [String(world.acme.id), String(world.nord.id)],
        locale: '',
      },
    );
    expect(res.status).to.equal(302);

    const page = await admin.get('/admin/audit').expect(200);
    // Columns: when, who, action, tenant, target, ip.
    const rows = tableRows(page.text, 'audit');
    // The action column shows the action's label in the reader's language, never its code.
    const label = (action: string) => t('en', `audit_labels.actions.${action}`);
    const about = (action: string) =>
      rows.filter((r) => r[2] === label(action) && (r[1] === operator.email || r[4] === operator.email));
    expect(about('auth.sign_in'), 'sign-in').to.have.length(1);
    expect(about('auth.sign_in_failed'), 'failed sign-in').to.have.length(1);
    expect(about('user.role_changed'), 'role change').to.have.length(1);
    expect(about('user.assignments_changed'), 'assignment change').to.have.length(1);
    expect(about('user.role_changed')[0]?.[1]).to.equal(world.users.admin.email);
    expect(about('auth.sign_in')[0]?.[5]).to.match(/127\.0\.0\.1/);

    const filtered = tableRows(
      (await admin.get('/admin/audit?action=user.role_changed').expect(200)).text,
      'audit',
    );
    expect(filtered.length).to.be.greaterThan(0);
    expect(filtered.every((r) => r[2] === label('user.role_changed'))).to.equal(true);
  });
});
