import { listRoutes } from '../../support/routes.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
describe('probe', () => {
  let tp: TestPortal;
  before(async () => { tp = await startTestPortal('probe'); });
  after(() => tp.stop());
  it('lists', () => { process.stdout.write(JSON.stringify(listRoutes(tp.portal.server), null, 0) + '\n'); });
});
