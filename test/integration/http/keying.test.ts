import { expect } from 'chai';
import { Types } from 'mongoose';
import { InspectionLot, KeyingBatch, SwitchingStateModel } from '../../../models/quality.js';
import { saveLayout } from '../../../server/domain/quality/save-layout.js';
import { initialSwitchingState } from '../../../server/domain/quality/switching.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { bodies } from '../../support/api.js';
import { csrfFrom, postForm, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

/** Issue #18 items 1-2 through the pages: start, import, key, export, finish, inspect, close. */
describe('keying and inspection pages', function () {
  this.timeout(120_000);
  let tp: TestPortal;
  let world: World;
  let keyer: Agent;
  let checker: Agent;
  let number: string;
  let layoutId: string;

  before(async () => {
    tp = await startTestPortal('http-keying');
    world = await makeWorld();
    const layout = await saveLayout(ctxOf(world.users.teamLead, null), world.acme.id as string, {
      name: 'Delivery notes',
      aql: { critical: 0.65, major: 1.0, minor: 2.5 },
      fields: [
        { key: 'supplier_vat', label: 'Supplier VAT', type: 'vat', required: true, class: 'critical' },
        { key: 'amount', label: 'Amount', type: 'number', decimals: 2, required: true },
      ],
    });
    layoutId = String(layout._id);
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse(bodies.dataEntry()),
      'portal',
    );
    number = ticket.number;
    keyer = await signedInAgent(tp.url, world.users.operatorAcme.email);
    checker = await signedInAgent(tp.url, world.users.teamLead.email);
  });
  after(async () => {
    await tp?.stop();
  });

  const page = (agent: Agent, path: string) => agent.get(path).expect(200);

  it('starts, imports (reporting bad rows), keys, exports and finishes a batch', async () => {
    const keying = `/tickets/${number}/keying`;
    const choose = await page(keyer, keying);
    expect(choose.text).to.contain('Delivery notes');
    expect((await postForm(keyer, keying, `${keying}/start`, { layoutId })).status).to.equal(302);

    const token = csrfFrom((await page(keyer, keying)).text);
    const bad = await keyer
      .post(`${keying}/import`)
      .field('_csrf', token)
      .attach('file', Buffer.from('supplier_vat,amount\nIT01234567897,1.00\nIT01234567897,abc\n'), 'r.csv');
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('data-testid="import-errors"');
    expect(bad.text).to.match(/<td>3<\/td><td>amount<\/td>/);

    const rows = [
      'Amount,Supplier VAT',
      ...Array.from({ length: 12 }, (_, i) => `${i + 1}.25,IT01234567897`),
    ];
    const good = await keyer
      .post(`${keying}/import`)
      .field('_csrf', csrfFrom((await page(keyer, keying)).text))
      .attach('file', Buffer.from(rows.join('\n')), 'r.csv');
    expect(good.status).to.equal(302);
    expect((await page(keyer, keying)).text).to.contain('12 records imported.');

    const keyed = await postForm(keyer, keying, `${keying}/records`, {
      'values.supplier_vat': 'DK12345674',
      'values.amount': '99',
    });
    expect(keyed.status).to.equal(302);
    const refused = await postForm(keyer, keying, `${keying}/records`, {
      'values.supplier_vat': 'DK12345675',
      'values.amount': '99',
    });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.contain('value="DK12345675"');

    const csv = await keyer.get(`${keying}/export.csv`).expect(200);
    expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).to.equal('supplier_vat,amount');
    expect(lines[1]).to.equal('IT01234567897,1.25');
    expect(lines.at(-1)).to.equal('DK12345674,99');
    expect(lines).to.have.length(14);

    const finished = await postForm(keyer, keying, `${keying}/finish`, {});
    expect(finished.status).to.equal(302);
    expect(finished.headers.location).to.equal(`/tickets/${number}/inspection`);
  });

  it('refuses the keyer as checker, then lets another person inspect and close the lot', async () => {
    const inspection = `/tickets/${number}/inspection`;
    const batch = await KeyingBatch.findOne({ ticketNumber: number }).setOptions({ allTenants: true }).lean();
    const lot = await InspectionLot.findOne({ ticketId: batch!.ticketId, round: 1 })
      .setOptions({ allTenants: true })
      .lean();
    const [first] = lot!.seqs;
    const own = await postForm(keyer, inspection, `${inspection}/records`, { seq: String(first) });
    expect(own.status).to.equal(302);
    expect((await page(keyer, inspection)).text).to.contain(
      'You keyed this record: another person must check it.',
    );
    for (const seq of lot!.seqs) {
      const res = await postForm(checker, inspection, `${inspection}/records`, {
        seq: String(seq),
        wrong: [],
      });
      expect(res.status).to.equal(302);
    }
    const view = await page(checker, inspection);
    expect(view.text).to.contain(`Seed ${lot!.seed}`);
    expect((await postForm(checker, inspection, `${inspection}/close`, {})).status).to.equal(302);
    expect((await page(checker, inspection)).text).to.contain('Lot accepted.');
    const after = await KeyingBatch.findOne({ ticketNumber: number }).setOptions({ allTenants: true }).lean();
    expect(after?.state).to.equal('accepted');
  });

  it('lets a team lead resume a stopped inspection and allow reduced inspection on the inspection page', async () => {
    const inspection = `/tickets/${number}/inspection`;
    const layout = { tenantId: world.acme._id, layoutId: new Types.ObjectId(layoutId) };
    const stopped = { ...initialSwitchingState(), severity: 'discontinued' as const };
    await SwitchingStateModel.updateOne(
      layout,
      { $set: { state: stopped }, $inc: { version: 1 } },
      { upsert: true },
    );
    // The operator reads the state but gets no form.
    const seen = await page(keyer, inspection);
    expect(seen.text).to.contain('data-testid="switching"');
    expect(seen.text).to.contain('Delivery notes: stopped inspection.');
    expect(seen.text).not.to.contain('data-testid="resume-inspection"');
    expect(seen.text).not.to.contain('data-testid="allow-reduced"');
    await keyer
      .post(`${inspection}/resume`)
      .type('form')
      .send({ _csrf: csrfFrom(seen.text) })
      .expect(403);
    // The team lead: a corrective action too short is shown on the form, what was typed kept.
    expect((await page(checker, inspection)).text).to.contain('data-testid="resume-inspection"');
    const short = await postForm(checker, inspection, `${inspection}/resume`, { correctiveAction: 'fixed' });
    expect(short.status).to.equal(422);
    expect(short.text).to.match(/id="e-correctiveAction"/);
    expect(short.text).to.contain('>fixed</textarea>');
    const done = await postForm(checker, inspection, `${inspection}/resume`, {
      correctiveAction: 'Keyers retrained on VAT numbers.',
    });
    expect(done.status).to.equal(302);
    const resumed = await page(checker, inspection);
    expect(resumed.text).to.contain('Inspection resumed on tightened inspection.');
    expect(resumed.text).to.contain('Delivery notes: tightened inspection.');
    expect(resumed.text).to.contain('Keyers retrained on VAT numbers.');
    const again = await postForm(checker, inspection, `${inspection}/resume`, {
      correctiveAction: 'Another corrective action.',
    });
    expect(again.status).to.equal(409);
    expect(again.text).to.contain('Inspection of this layout is not stopped.');
    // Reduced inspection: allowed, then withdrawn (an unticked box), each in words on the page.
    expect((await postForm(checker, inspection, `${inspection}/reduced`, { allow: 'true' })).status).to.equal(
      302,
    );
    const allowed = await page(checker, inspection);
    expect(allowed.text).to.contain('Reduced inspection is allowed for this layout.');
    expect(allowed.text).to.match(/name="allow" value="true" checked/);
    expect((await postForm(checker, inspection, `${inspection}/reduced`, {})).status).to.equal(302);
    const row = await SwitchingStateModel.findOne(layout).lean();
    expect(row?.reducedAllowed).to.equal(false);
    expect((await page(checker, inspection)).text).to.contain('Reduced inspection: not allowed.');
  });

  it('edits a layout in the layout editor: fields one per line, bad lines named, stale versions refused', async () => {
    const lead = checker;
    const form = {
      tenantId: String(world.acme.id),
      name: 'Invoices',
      inspectionLevel: 'II',
      'aql.critical': '0.65',
      'aql.major': '1',
      'aql.minor': '2.5',
      accuracyTarget: '99.5',
      fieldsText:
        'vat; Supplier VAT; vat; required; critical\ntotal; Total; number; required; major; 2 0..\nkind; Kind; code; optional; minor; INV, CN',
    };
    const bad = await postForm(lead, '/layouts/new', '/layouts', {
      ...form,
      fieldsText: 'x; X; colour; required; major',
    });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('Line 1: the type is one of text, number, date, code, vat, iban.');
    const made = await postForm(lead, '/layouts/new', '/layouts', form);
    expect(made.status).to.equal(302);
    const editor = made.headers.location as string;
    const shown = await page(lead, editor);
    expect(shown.text).to.contain('total; Total; number; required; major; 2 0..');
    expect(shown.text).to.contain('kind; Kind; code; optional; minor; INV, CN');
    expect(shown.text).to.contain('value="99.5"');
    const saved = await postForm(lead, editor, editor, { ...form, name: 'Invoices 2', version: '1' });
    expect(saved.status).to.equal(302);
    const stale = await postForm(lead, editor, editor, { ...form, name: 'Invoices 3', version: '1' });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.contain('Someone changed this layout meanwhile');
    await keyer.get('/layouts').expect(403);
  });
});
