import { expect } from 'chai';
import { signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/**
 * A report's download with a period it refuses (found by a fuzzer): the report page comes back with
 * the typed period and a message at the field (422), as the page's own filter form does, never a
 * bare error where a file was expected.
 */
describe('report downloads with a refused period', function () {
  this.timeout(90_000);
  let tp: TestPortal;
  let world: World;
  before(async () => {
    tp = await startTestPortal('report-exports-refused');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  it('show the page again with the field errors, for every export', async () => {
    const admin = await signedInAgent(tp.url, world.users.admin.email);
    const acme = String(world.acme.id);
    const cases: Array<[string, string, string]> = [
      [`/reports/${acme}`, 'from=2026-02-31&to=2026-03-01', 'from'],
      [`/reports/${acme}/export/report.pdf`, 'from=2026-02-31&to=2026-03-01', 'from'],
      [`/reports/${acme}/export/compliance.csv`, 'from=2026-02-31&to=2026-03-01', 'from'],
      ['/reports/csat/export.csv', 'from=nope&to=2026-03-01', 'from'],
      ['/reports/operators/export.csv', 'from=nope&to=2026-03-01', 'from'],
      [`/reports/${acme}/statement`, 'month=2026-13', 'month'],
      [`/reports/${acme}/statement/export/volumes.csv`, 'month=2026-13', 'month'],
    ];
    for (const [path, query, field] of cases) {
      const res = await admin.get(`${path}?${query}`);
      expect(res.status, path).to.equal(422);
      expect(res.headers['content-type'], path).to.match(/^text\/html/);
      expect(res.text, path).to.include(`id="e-${field}"`);
      expect(res.text, path).to.include('aria-invalid="true"');
    }
  });
});
