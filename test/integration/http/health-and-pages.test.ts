import { expect } from 'chai';
import supertest from 'supertest';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

describe('portal skeleton over HTTP', () => {
  let tp: TestPortal;
  before(async () => {
    tp = await startTestPortal('skeleton');
  });
  after(() => tp.stop());

  it('answers liveness and readiness', async () => {
    await supertest(tp.url).get('/healthz').expect(200, { status: 'ok' });
    await supertest(tp.url).get('/readyz').expect(200, { status: 'ready' });
  });

  it('serves the sign-in page with security headers and a request id', async () => {
    const res = await supertest(tp.url).get('/login').expect(200);
    expect(res.text).to.include('name="email"').and.include('name="password"');
    expect(res.headers['content-security-policy']).to.include("default-src 'self'");
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-request-id']).to.match(/^[\w-]{8,}$/);
    expect(res.headers['x-powered-by']).to.equal(undefined);
  });

  it("speaks the reader's language", async () => {
    const it_ = await supertest(tp.url).get('/login').set('Accept-Language', 'it-IT,it;q=0.9').expect(200);
    expect(it_.text).to.include('Accedi').and.include('<html lang="it">');
    const da = await supertest(tp.url).get('/login').set('Accept-Language', 'da').expect(200);
    expect(da.text).to.include('Log ind');
  });

  it('shows a friendly 404 page to browsers and JSON to API clients', async () => {
    const page = await supertest(tp.url).get('/no/such/page').set('Accept', 'text/html').expect(404);
    expect(page.text).to.include('Not found.');
    const api = await supertest(tp.url).get('/api/v1/nothing').expect(404);
    expect(api.body).to.deep.equal({ error: { code: 'not_found', message: 'Not found.' } });
  });

  it('sends signed-out visitors of a page to sign in, and back afterwards', async () => {
    const res = await supertest(tp.url).get('/admin/tenants').expect(302);
    expect(res.headers.location).to.equal('/login?next=%2Fadmin%2Ftenants');
  });

  it('serves static assets', async () => {
    const res = await supertest(tp.url).get('/static/css/app.css').expect(200);
    expect(res.headers['content-type']).to.include('text/css');
  });
});
