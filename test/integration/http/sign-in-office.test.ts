import { expect } from 'chai';
import supertest from 'supertest';
import { postForm } from '../../support/browser-session.js';
import { makeTenant, makeUser, PASSWORD } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

const ADDRESS_FAILURES = 10;
const OFFICE = 60;

describe('signing in from one office address', function () {
  this.timeout(120_000);
  let tp: TestPortal;

  before(async () => {
    tp = await startTestPortal('sign-in-office', { SIGN_IN_ADDRESS_FAILURES: String(ADDRESS_FAILURES) });
  });
  after(() => tp?.stop());

  it(`lets ${OFFICE} operators behind one address start their shift within a minute; only failures count against the address`, async () => {
    const tenant = await makeTenant({ code: `office${Date.now() % 100000}` });
    const operators = [];
    for (let i = 0; i < OFFICE; i++)
      operators.push(await makeUser({ role: 'operator', tenantIds: [tenant.id] }));

    const started = Date.now();
    const statuses: number[] = [];
    // Ten at a time, as a shift start looks like: all from 127.0.0.1.
    for (let i = 0; i < OFFICE; i += 10) {
      const batch = operators
        .slice(i, i + 10)
        .map((op) =>
          postForm(supertest.agent(tp.url), '/login', '/login', { email: op.email, password: PASSWORD }),
        );
      statuses.push(...(await Promise.all(batch)).map((r) => r.status));
    }
    expect(Date.now() - started).to.be.below(60_000);
    expect(
      statuses.filter((s) => s !== 302),
      'every operator signed in',
    ).to.deep.equal([]);

    // Failures from the same address are still limited: the budget is spent by failures alone.
    for (let i = 0; i < ADDRESS_FAILURES; i++) {
      const res = await postForm(supertest.agent(tp.url), '/login', '/login', {
        email: `nobody-${i}@example.test`,
        password: 'wrong-password',
      });
      expect(res.status, `failure ${i + 1}`).to.equal(401);
    }
    const refused = await postForm(supertest.agent(tp.url), '/login', '/login', {
      email: operators[0]!.email,
      password: PASSWORD,
    });
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 15 * 60);
  });
});
