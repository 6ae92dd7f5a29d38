import { expect } from 'chai';
import { ApiToken } from '../../../models/api-token.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { apiClient } from '../../support/api.js';
import { csrfFrom, postForm, signedInAgent } from '../../support/browser-session.js';
import { makeTenant, makeUser, makeWorld, type World } from '../../support/factories.js';
import { fieldError, navHrefs, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { cli } from '../../support/cli.js';

const rawTokenIn = (html: string): string | null =>
  /data-testid="raw-token">(bdk_[A-Za-z0-9_-]+)</.exec(html)?.[1] ?? null;

describe('API tokens: the client admin page and the command line', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('api-tokens');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('lets a client admin create a token, shown once, that works against the API, and revoke it', async () => {
    const admin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
    const page = await admin.get('/api-tokens').expect(200);
    expect(navHrefs(page.text)).to.include('/api-tokens');
    expect(page.text).to.include('href="/api/v1/docs"');

    const created = await postForm(admin, '/api-tokens', '/api-tokens', { name: 'ERP integration' });
    expect(created.status).to.equal(201);
    expect(created.headers['cache-control']).to.equal('no-store');
    const token = rawTokenIn(created.text);
    expect(token).to.match(/^bdk_[A-Za-z0-9_-]{43}$/);

    // Never again: not on the list, not in the database.
    const list = await admin.get('/api-tokens').expect(200);
    expect(list.text).to.not.include(token as string);
    const rows = tableRows(list.text, 'api-tokens');
    const row = rows.find((r) => r[0] === 'ERP integration');
    expect(row?.[1]).to.equal(`${(token as string).slice(0, 12)}…`);
    expect(row?.[2]).to.equal(world.users.acmeAdmin.name);
    const stored = await ApiToken.findOne({ tenantId: world.acme._id, name: 'ERP integration' }).lean();
    expect(JSON.stringify(stored)).to.not.include(token as string);

    const api = apiClient(tp.url, token as string);
    await api.get('/tickets').expect(200);

    // Another company's admin cannot revoke it; a form without the CSRF token is refused.
    const nordAdmin = await signedInAgent(tp.url, world.users.nordAdmin.email);
    const foreign = await postForm(nordAdmin, '/api-tokens', `/api-tokens/${String(stored?._id)}/revoke`, {});
    expect(foreign.status).to.equal(404);
    await admin
      .post(`/api-tokens/${String(stored?._id)}/revoke`)
      .type('form')
      .send({})
      .expect(403);
    await api.get('/tickets').expect(200);

    const revoked = await postForm(admin, '/api-tokens', `/api-tokens/${String(stored?._id)}/revoke`, {});
    expect(revoked.status).to.equal(302);
    expect(revoked.headers.location).to.equal('/api-tokens');
    const after = await admin.get('/api-tokens').expect(200);
    expect(textOf(after.text)).to.include('Revocato'); // Acme's admin reads Italian
    await api.get('/tickets').expect(401);

    const events = await AuditEvent.find({
      tenantId: world.acme._id,
      action: { $in: ['api_token.created', 'api_token.revoked'] },
    }).lean();
    expect(events.map((e) => e.action).sort()).to.deep.equal(['api_token.created', 'api_token.revoked']);
    expect(
      events.every(
        (e) => e.actorEmail === world.users.acmeAdmin.email && e.targetLabel?.startsWith('ERP integration'),
      ),
    ).to.equal(true);
  });

  it('keeps what was typed and names the field when the name is missing', async () => {
    const admin = await signedInAgent(tp.url, world.users.nordAdmin.email);
    const res = await postForm(admin, '/api-tokens', '/api-tokens', { name: ' ' });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'name')).to.not.equal(null);
    expect(rawTokenIn(res.text)).to.equal(null);
  });

  it('is for client admins only', async () => {
    for (const who of [world.users.acmeUser, world.users.operatorBoth, world.users.admin]) {
      const agent = await signedInAgent(tp.url, who.email);
      const page = await agent.get('/api-tokens');
      expect(page.status, who.role).to.equal(403);
      const home = await agent.get('/').expect(200);
      expect(navHrefs(home.text)).to.not.include('/api-tokens');
      const form = await agent.get('/password/forgot');
      const post = await agent
        .post('/api-tokens')
        .type('form')
        .send({ _csrf: csrfFrom(form.text), name: 'Sneaky' });
      expect(post.status, who.role).to.equal(403);
    }
  });

  it('creates a token from the command line, acting as the first active client admin', async () => {
    const uri = tp.config.mongodbUri as string;
    const res = await cli(['token:create', '--tenant', world.nord.code, '--name', 'Nightly import'], {
      MONGODB_URI: uri,
    });
    expect(res.code, res.out).to.equal(0);
    const token = /^(bdk_[A-Za-z0-9_-]{43})$/m.exec(res.stdout)?.[1];
    expect(token, res.out).to.be.a('string');
    expect(res.stdout).to.include(world.users.nordAdmin.email);
    const api = apiClient(tp.url, token as string);
    const created = await api
      .post('/tickets')
      .send({
        type: 'complaint',
        subject: 'From the nightly job',
        fields: {
          customerName: 'A',
          customerReference: 'B',
          channel: 'mail',
          category: 'C',
          severity: 'low',
        },
      })
      .expect(201);
    expect(created.body.number.startsWith(world.nord.code.toUpperCase())).to.equal(true);
    expect(created.body.requester.email).to.equal(world.users.nordAdmin.email);

    const lonely = await makeTenant();
    await makeUser({ role: 'client_user', tenantId: lonely.id });
    const none = await cli(['token:create', '--tenant', lonely.code], { MONGODB_URI: uri });
    expect(none.code).to.equal(1);
    expect(none.out).to.match(/no active client admin/);
    const unknown = await cli(['token:create', '--tenant', 'no-such-tenant'], { MONGODB_URI: uri });
    expect(unknown.code).to.equal(1);
    const missing = await cli(['token:create'], { MONGODB_URI: uri });
    expect(missing.code).to.equal(2);
    const help = await cli(['--help'], {});
    expect(help.out).to.include('token:create --tenant CODE');
  });
});
