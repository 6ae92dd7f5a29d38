import { expect } from 'chai';
import { RecordLayoutModel } from '../../../models/quality.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld } from '../../support/factories.js';
import { decodeHtml } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** The fields of a form as a browser would send them back untouched (inputs, selected options, textareas). */
function formValues(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/g)) {
    const tag = m[0];
    if (/type="(checkbox|radio)"/.test(tag) && !/\bchecked\b/.test(tag)) continue;
    out[m[1]!] = decodeHtml(/value="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  for (const m of html.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g))
    out[m[1]!] = /<option value="([^"]*)"[^>]*\bselected\b/.exec(m[2]!)?.[1] ?? '';
  for (const m of html.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
    out[m[1]!] = decodeHtml(m[2]!);
  return out;
}

/**
 * The record layout form in Italian and Danish (found by the outside test): the AQL choices read
 * 0.65 and the accuracy target 99.5 on pages whose hint says "es. 99,5"; now both are in the
 * reader's number format, and the form sent back untouched keeps the layout as it was.
 */
describe('record layout form in the reader’s number format', function () {
  this.timeout(30_000);
  let tp: TestPortal;

  before(async () => {
    tp = await startTestPortal('layout-form-locale');
  });
  after(() => tp?.stop());

  it('shows AQLs and the accuracy target as an Italian or Danish reader writes them, and reads them back', async () => {
    const world = await makeWorld();
    const layout = await saveLayout(ctxOf(world.users.admin, null), String(world.acme.id), {
      name: 'Targets',
      aql: { critical: 0.065, major: 1.5, minor: 2.5 },
      accuracyTarget: 0.9945,
      fields: [{ key: 'ref', label: 'Reference', type: 'text' }],
    });
    for (const locale of ['it', 'da'] as const) {
      const lead = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale });
      const agent = await signedInAgent(tp.url, lead.email);
      const url = `/layouts/${String(layout._id)}`;
      const html = (await agent.get(url).expect(200)).text;
      expect(html, locale).to.match(/<option value="0.065"[^>]*>0,065<\/option>/);
      expect(html, locale).to.match(/<option value="1.5" selected>1,5<\/option>/);
      expect(html, locale).not.to.match(/>0\.065</);
      const sent = formValues(html);
      expect(sent.accuracyTarget, locale).to.equal('99,45');
      const res = await agent
        .post(url)
        .type('form')
        .send({ ...sent, _csrf: csrfFrom(html) });
      expect(res.status, locale).to.equal(302);
      const saved = await RecordLayoutModel.findOne({ _id: layout._id })
        .setOptions({ allTenants: true })
        .lean();
      expect(saved?.accuracyTarget, locale).to.equal(0.9945);
      expect(saved?.aql, locale).to.deep.include({ critical: 0.065, major: 1.5, minor: 2.5 });
    }
  });
});
