import { expect } from 'chai';
import supertest from 'supertest';
import { t } from '../../../server/i18n/i18n.js';
import { jsonLimits } from '../../../server/http/middleware/bodies.js';
import { tokenOf } from '../../support/api.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

type ErrorBody = {
  error: { code: string; message: string; fields?: Array<{ path: string; message: string }> };
};

/**
 * How the REST API words a refusal (found by the outside test of issues #17-#19): in the caller's
 * language whatever was refused, one message per field, a clear one for a repeated parameter.
 */
describe('REST API: refusals in the caller’s words', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acme: string; // the token of an Italian client admin
  let nord: string; // the token of a Danish client admin

  before(async () => {
    tp = await startTestPortal('api-refusal-wording');
    world = await makeWorld();
    acme = (await tokenOf(world.users.acmeAdmin, 'erp')).token;
    nord = (await tokenOf(world.users.nordAdmin, 'erp')).token;
  });
  after(() => tp?.stop());

  const post = (token: string | null, path: string, language?: string) => {
    const req = supertest(tp.url).post(`/api/v1${path}`).set('Content-Type', 'application/json');
    if (token) req.set('Authorization', `Bearer ${token}`);
    if (language) req.set('Accept-Language', language);
    return req;
  };

  it('refuses malformed JSON in the language of the request, else of the token’s user', async () => {
    const cases: Array<[string, string | undefined, 'it' | 'da' | 'en']> = [
      [acme, undefined, 'it'],
      [nord, undefined, 'da'],
      [acme, 'da', 'da'],
      [nord, 'en-GB,en;q=0.8', 'en'],
    ];
    for (const [token, language, expected] of cases) {
      for (const path of ['/tickets', '/webhook-endpoints']) {
        const res = await post(token, path, language).send('{"type": "data_entry",');
        expect(res.status, `${path} ${language}`).to.equal(400);
        expect(res.body as ErrorBody, `${path} ${language}`).to.deep.equal({
          error: { code: 'bad_request', message: t(expected, 'limits.malformed_json') },
        });
      }
    }
    // Too deep and too large, the same.
    const deep = await post(nord, '/tickets').send(
      `${'['.repeat(jsonLimits.depth + 5)}${']'.repeat(jsonLimits.depth + 5)}`,
    );
    expect(deep.status).to.equal(400);
    expect((deep.body as ErrorBody).error.message).to.equal(
      t('da', 'limits.too_deep', { max: jsonLimits.depth }),
    );
    const big = await post(acme, '/tickets').send(
      JSON.stringify({ subject: 'x'.repeat(jsonLimits.bytes + 10) }),
    );
    expect(big.status).to.equal(413);
    expect((big.body as ErrorBody).error.message).to.equal(
      t('it', 'limits.too_large', { kb: Math.round(jsonLimits.bytes / 1024) }),
    );
    // Without a token the body is never read: 401, in the language asked for.
    const anonymous = await post(null, '/tickets', 'it').send('{"type":');
    expect(anonymous.status).to.equal(401);
    expect((anonymous.body as ErrorBody).error.message).to.equal(t('it', 'api.token_missing'));
  });

  const get = (token: string, path: string) =>
    supertest(tp.url).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`);

  it('tells a parameter repeated where one value is expected as such, on every route alike', async () => {
    const endpoint = await post(acme, '/webhook-endpoints')
      .send({ url: 'https://hooks.invalid/erp', events: ['ticket.created'] })
      .expect(201);
    const attempts = `/webhook-endpoints/${endpoint.body.id as string}/attempts`;
    const cases: Array<[string, string]> = [
      ['/tickets?status=open&status=closed', 'status'], // an enum
      ['/tickets?page=1&page=2', 'page'], // a number (read "required")
      [`${attempts}?limit=5&limit=10`, 'limit'],
      [`${attempts}?before=65f1c0ffee0000000000a001&before=65f1c0ffee0000000000a002`, 'before'], // a string
    ];
    for (const [path, field] of cases) {
      const res = await get(acme, path);
      expect(res.status, path).to.equal(422);
      expect(res.body as ErrorBody, path).to.deep.equal({
        error: {
          code: 'validation',
          message: t('it', 'errors.validation'),
          fields: [{ path: field, message: t('it', 'input_checks.given_twice') }],
        },
      });
    }
    // The same in a JSON body, and a value of the wrong type is no longer "required".
    const listed = await post(nord, '/tickets').send({ type: 'complaint', subject: ['a', 'b'] });
    expect(listed.status).to.equal(422);
    expect((listed.body as ErrorBody).error.fields).to.deep.include({
      path: 'subject',
      message: t('da', 'input_checks.given_twice'),
    });
    const wrongType = await post(nord, '/tickets').send({ type: 'complaint', subject: 42 });
    expect((wrongType.body as ErrorBody).error.fields).to.deep.include({
      path: 'subject',
      message: t('da', 'validation.invalid_type'),
    });
    // Once, as documented, still answers.
    await get(acme, '/tickets?status=open&page=1').expect(200);
    await get(acme, `${attempts}?limit=5`).expect(200);
  });

  it('gives one message per field, however many rules its value breaks', async () => {
    // An address over the length limit that is not https either: one message for `url`.
    const res = await post(acme, '/webhook-endpoints').send({
      url: `ftp://${'h'.repeat(3000)}.example/hook`,
      events: ['ticket.created'],
    });
    expect(res.status).to.equal(422);
    const fields = (res.body as ErrorBody).error.fields ?? [];
    expect(fields.map((f) => f.path)).to.deep.equal(['url']);
    const limit = await get(acme, '/tickets?page=100000');
    expect((limit.body as ErrorBody).error.fields).to.deep.equal([
      { path: 'page', message: t('it', 'validation.too_big', { max: 1000 }) },
    ]);
  });

  it('answers an id that does not decode 404 in the token’s language, and 401 without a token', async () => {
    for (const path of ['/webhook-endpoints/%E0', '/tickets/%E0', '/tickets/%E0/records']) {
      const res = await get(nord, path);
      expect(res.status, path).to.equal(404);
      expect((res.body as ErrorBody).error.message, path).to.equal(t('da', 'errors.not_found'));
      await supertest(tp.url).get(`/api/v1${path}`).expect(401);
    }
  });
});
