import { expect } from 'chai';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy } from '../../../models/sla-policy.js';
import { Tenant } from '../../../models/tenant.js';
import { priorities, ticketTypes } from '../../../models/ticket.js';
import { addBusinessSeconds } from '../../../server/domain/sla/business-time.js';
import {
  calendarOf,
  currentPolicy,
  policyVersion,
  targetFor,
} from '../../../server/domain/sla/contract-store.js';
import { savePolicy } from '../../../server/domain/sla/save-policy.js';
import { t } from '../../../server/i18n/i18n.js';
import { seedContracts } from '../../../server/seed/demo-contracts.js';
import { postForm, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeTenant, makeUser, makeWorld, type World } from '../../support/factories.js';
import { alertText, fieldError, inputValue, navHrefs, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';

type Fields = Record<string, string>;

const acmeCalendar = (overrides: Fields = {}): Fields => ({
  name: 'Orario Milano',
  timeZone: 'Europe/Rome',
  'hours.1': '09:00-18:00',
  'hours.2': '09:00-18:00',
  'hours.3': '09:00-18:00',
  'hours.4': '09:00-18:00',
  'hours.5': '9:00-13:00, 14:00-18:00',
  'hours.6': '',
  'hours.7': '',
  holidays: '2026-12-08 Immacolata\n2026-12-25 Natale\n2026-12-26 Santo Stefano',
  closures: '2026-11-18 12:00-14:00 Inventario',
  ...overrides,
});

/** Every type x priority: first response `fr` hours, resolution `res` hours (invoices: half). */
function policyBody(fr: number, res: number, extra: Fields = {}): Fields {
  const body: Fields = { warnAt: '75, 90', raisePriority: 'true', ...extra };
  for (const type of ticketTypes)
    for (const priority of priorities) {
      body[`targets.${type}.${priority}.firstResponse`] = String(fr);
      body[`targets.${type}.${priority}.resolution`] = String(type === 'invoice' ? res / 2 : res);
    }
  return body;
}

describe('SLA contract pages', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let manager: Agent;
  let acmeId: string;
  let nordId: string;

  before(async () => {
    tp = await startTestPortal('sla-contracts');
    world = await makeWorld();
    acmeId = String(world.acme._id);
    nordId = String(world.nord._id);
    manager = await signedInAgent(tp.url, world.users.accountManager.email);
  });
  after(() => tp?.stop());

  it('lists the clients of the portfolio, with an SLA entry in the navigation', async () => {
    const res = await manager.get('/sla').expect(200);
    expect(navHrefs(res.text)).to.include('/sla');
    const rows = tableRows(res.text, 'sla-contracts');
    expect(rows.map((r) => r[0])).to.have.members([
      `${world.acme.legalName} ${world.acme.code}`,
      `${world.nord.legalName} ${world.nord.code}`,
    ]);
    expect(rows.every((r) => r[1] === t('en', 'sla.not_set') && r[2] === t('en', 'sla.no_policy'))).to.equal(
      true,
    );
  });

  it('lets an account manager set business hours, holidays and a closure', async () => {
    const form = await manager.get(`/sla/${acmeId}/calendar`).expect(200);
    // A new calendar starts as Mon-Fri 09-18 in the client's time zone.
    expect(inputValue(form.text, 'hours.1')).to.equal('09:00-18:00');
    expect(inputValue(form.text, 'hours.6')).to.equal('');
    expect(inputValue(form.text, 'timeZone')).to.equal('Europe/Rome');

    const res = await postForm(manager, `/sla/${acmeId}/calendar`, `/sla/${acmeId}/calendar`, acmeCalendar());
    expect(res.status, res.text).to.equal(302);
    expect(res.headers.location).to.equal('/sla');
    const stored = await SlaCalendar.findOne({ tenantId: world.acme._id }).lean();
    expect(stored?.weekly.filter((w) => w.day === 5)).to.deep.equal([
      { day: 5, from: '09:00', to: '13:00' },
      { day: 5, from: '14:00', to: '18:00' },
    ]);
    expect(stored?.holidays.map((h) => `${h.date} ${h.name}`)).to.deep.equal([
      '2026-12-08 Immacolata',
      '2026-12-25 Natale',
      '2026-12-26 Santo Stefano',
    ]);
    // 12:00-14:00 Rome time on 2026-11-18 (CET, UTC+1).
    expect(stored?.closures.map((c) => [c.from.toISOString(), c.to.toISOString(), c.reason])).to.deep.equal([
      ['2026-11-18T11:00:00.000Z', '2026-11-18T13:00:00.000Z', 'Inventario'],
    ]);
    expect((await Tenant.findById(acmeId).lean())?.calendarRef).to.equal(String(stored?._id));

    // The clock sees it at once: Mon 2026-12-07 17:00 CET + 2 h skips the Immacolata -> Wed 10:00 CET.
    const calendar = await calendarOf(acmeId);
    expect(calendar).to.include({ timeZone: 'Europe/Rome', alwaysOpen: false });
    expect(addBusinessSeconds(calendar!, new Date('2026-12-07T16:00:00Z'), 7200).toISOString()).to.equal(
      '2026-12-09T09:00:00.000Z',
    );

    const list = await manager.get('/sla').expect(200);
    expect(textOf(list.text)).to.include(t('en', 'sla.calendar_saved'));
    const row = tableRows(list.text, 'sla-contracts').find((r) => r[0]?.startsWith(world.acme.legalName));
    expect(row?.[1]).to.equal(
      'Orario Milano Mon–Thu 09:00-18:00; Fri 09:00-13:00, 14:00-18:00 · Europe/Rome · Holidays: 3 · Closures: 1',
    );

    // The form shows what was stored, closures in local time.
    const again = await manager.get(`/sla/${acmeId}/calendar`).expect(200);
    expect(inputValue(again.text, 'hours.5')).to.equal('09:00-13:00, 14:00-18:00');
    expect(again.text).to.include('2026-11-18 12:00 - 14:00 Inventario');
  });

  it('refuses overlapping or reversed hours and an unknown time zone with 422, keeping what was typed', async () => {
    const before = await SlaCalendar.findOne({ tenantId: world.acme._id }).lean();
    const res = await postForm(
      manager,
      `/sla/${acmeId}/calendar`,
      `/sla/${acmeId}/calendar`,
      acmeCalendar({
        timeZone: 'Mars/Olympus_Mons',
        'hours.1': '09:00-13:00, 12:00-18:00',
        'hours.2': '18:00-09:00',
        holidays: '2026-12-08 Immacolata\n2026-02-30 Nope',
      }),
    );
    expect(res.status).to.equal(422);
    expect(alertText(res.text)).to.equal(t('en', 'errors.validation'));
    expect(fieldError(res.text, 'timeZone')).to.equal(t('en', 'sla.errors.time_zone'));
    expect(fieldError(res.text, 'hours.1')).to.equal(t('en', 'sla.errors.hours_overlap'));
    expect(fieldError(res.text, 'hours.2')).to.equal(t('en', 'sla.errors.hours_reversed'));
    expect(fieldError(res.text, 'holidays')).to.equal(
      t('en', 'sla.errors.holiday_line', { line: 2, text: '2026-02-30 Nope' }),
    );
    expect(fieldError(res.text, 'hours.3')).to.equal(null);
    expect(inputValue(res.text, 'timeZone')).to.equal('Mars/Olympus_Mons');
    expect(inputValue(res.text, 'hours.1')).to.equal('09:00-13:00, 12:00-18:00');
    expect(inputValue(res.text, 'name')).to.equal('Orario Milano');
    expect(res.text).to.include('2026-02-30 Nope');
    const after = await SlaCalendar.findOne({ tenantId: world.acme._id }).lean();
    expect(after?.updatedAt?.getTime()).to.equal(before?.updatedAt?.getTime());

    const closed = await postForm(manager, `/sla/${acmeId}/calendar`, `/sla/${acmeId}/calendar`, {
      ...acmeCalendar(),
      ...Object.fromEntries([1, 2, 3, 4, 5].map((d) => [`hours.${d}`, ''])),
    });
    expect(closed.status).to.equal(422);
    expect(fieldError(closed.text, 'hours.1')).to.equal(t('en', 'sla.errors.no_hours'));
  });

  it('asks for business hours before the first targets', async () => {
    const page = await manager.get(`/sla/${nordId}/policy`).expect(200);
    expect(textOf(page.text)).to.include(t('en', 'sla.calendar_first'));
    const res = await postForm(manager, `/sla/${nordId}/policy`, `/sla/${nordId}/policy`, policyBody(2, 16));
    expect(res.status).to.equal(409);
    expect(alertText(res.text)).to.equal(t('en', 'sla.calendar_first'));
    expect(await SlaPolicy.countDocuments({ tenantId: world.nord._id })).to.equal(0);
  });

  it('saves targets as version 1, then version 2, and version 1 stays as it was', async () => {
    const first = await postForm(
      manager,
      `/sla/${acmeId}/policy`,
      `/sla/${acmeId}/policy`,
      policyBody(2, 16),
    );
    expect(first.status, first.text).to.equal(302);
    expect(first.headers.location).to.equal(`/sla/${acmeId}/policy`);
    const v1 = await policyVersion(acmeId, 1);
    expect(v1).to.include({ version: 1 });
    expect(v1?.warnAt).to.deep.equal([75, 90]);
    expect(v1?.escalation).to.deep.equal({ raisePriority: true, notifyClient: false });
    expect(v1?.createdBy?.name).to.equal(world.users.accountManager.name);
    expect(targetFor(v1!, 'invoice', 'urgent')).to.deep.equal({
      firstResponseSeconds: 2 * 3600,
      resolutionSeconds: 8 * 3600,
    });
    expect((await Tenant.findById(acmeId).lean())?.contractRef).to.equal(String(v1?._id));

    const page = await manager.get(`/sla/${acmeId}/policy`).expect(200);
    expect(textOf(page.text)).to.include(t('en', 'sla.policy_saved', { version: 1 }));
    expect(inputValue(page.text, 'targets.invoice.urgent.resolution')).to.equal('8');
    expect(inputValue(page.text, 'baseVersion')).to.equal('1');

    // Decimal commas are fine: 0,5 h = 30 minutes.
    const second = await postForm(manager, `/sla/${acmeId}/policy`, `/sla/${acmeId}/policy`, {
      ...policyBody(1, 8, { warnAt: '50, 80, 95', baseVersion: '1', notifyClient: 'true' }),
      'targets.complaint.urgent.firstResponse': '0,5',
    });
    expect(second.status, second.text).to.equal(302);
    const v2 = await currentPolicy(acmeId);
    expect(v2).to.include({ version: 2 });
    expect(v2?.warnAt).to.deep.equal([50, 80, 95]);
    expect(v2?.escalation).to.deep.equal({ raisePriority: true, notifyClient: true });
    expect(targetFor(v2!, 'complaint', 'urgent')).to.deep.equal({
      firstResponseSeconds: 1800,
      resolutionSeconds: 8 * 3600,
    });
    expect(String(v2?.calendarId)).to.equal((await Tenant.findById(acmeId).lean())?.calendarRef);

    const stored1 = await SlaPolicy.findOne({ tenantId: world.acme._id, version: 1 }).lean();
    expect(targetFor(stored1!, 'complaint', 'urgent')).to.deep.equal({
      firstResponseSeconds: 2 * 3600,
      resolutionSeconds: 16 * 3600,
    });
    expect(stored1?.warnAt).to.deep.equal([75, 90]);
    expect(stored1?.targets).to.have.length(ticketTypes.length * priorities.length);

    const history = tableRows(
      (await manager.get(`/sla/${acmeId}/policy`).expect(200)).text,
      'policy-versions',
    );
    expect(history.map((r) => r[0])).to.deep.equal([`2 ${t('en', 'sla.current')}`, '1']);
  });

  it('refuses a save made from an older version (409), and keeps versions immutable', async () => {
    const stale = await postForm(
      manager,
      `/sla/${acmeId}/policy`,
      `/sla/${acmeId}/policy`,
      policyBody(3, 24, { baseVersion: '1' }),
    );
    expect(stale.status).to.equal(409);
    expect(alertText(stale.text)).to.equal(t('en', 'sla.policy_stale', { version: 2 }));
    expect(inputValue(stale.text, 'targets.data_entry.low.firstResponse')).to.equal('3');
    expect(inputValue(stale.text, 'baseVersion')).to.equal('2');
    expect(await SlaPolicy.countDocuments({ tenantId: world.acme._id })).to.equal(2);

    let error: unknown;
    await SlaPolicy.updateOne({ tenantId: world.acme._id, version: 1 }, { $set: { warnAt: [10] } }).catch(
      (e: unknown) => (error = e),
    );
    expect(String(error)).to.match(/immutable/);
    // The unique index refuses a second document of the same version.
    const v2 = await SlaPolicy.findOne({ tenantId: world.acme._id, version: 2 }).lean();
    let duplicate: unknown;
    await SlaPolicy.create({ ...v2, _id: undefined }).catch((e: unknown) => (duplicate = e));
    expect((duplicate as { code?: number } | undefined)?.code).to.equal(11000);
  });

  it('lets the unique index decide two saves of the same next version', async () => {
    const ctx = ctxOf(world.users.accountManager, null);
    const results = await Promise.allSettled([
      savePolicy(ctx, acmeId, policyBody(4, 32, { baseVersion: '2' })),
      savePolicy(ctx, acmeId, policyBody(5, 40, { baseVersion: '2' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).to.include({ code: 'conflict' });
    expect((await currentPolicy(acmeId))?.version).to.equal(3);
  });

  it('refuses bad targets with 422 and a message per field', async () => {
    const res = await postForm(manager, `/sla/${acmeId}/policy`, `/sla/${acmeId}/policy`, {
      ...policyBody(2, 16, { baseVersion: '3', warnAt: '0, 100' }),
      'targets.data_entry.low.firstResponse': '-2',
      'targets.data_entry.normal.resolution': '0',
      'targets.complaint.high.firstResponse': '20',
      'targets.invoice.low.resolution': 'soon',
    });
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'targets.data_entry.low.firstResponse')).to.equal(
      t('en', 'sla.errors.target_positive'),
    );
    expect(fieldError(res.text, 'targets.data_entry.normal.resolution')).to.equal(
      t('en', 'sla.errors.target_positive'),
    );
    expect(fieldError(res.text, 'targets.complaint.high.firstResponse')).to.equal(
      t('en', 'sla.errors.response_after_resolution'),
    );
    expect(fieldError(res.text, 'targets.invoice.low.resolution')).to.equal(
      t('en', 'sla.errors.hours_number'),
    );
    expect(fieldError(res.text, 'warnAt')).to.equal(t('en', 'sla.errors.warn_range'));
    expect(inputValue(res.text, 'targets.complaint.high.firstResponse')).to.equal('20');
    expect(inputValue(res.text, 'warnAt')).to.equal('0, 100');
    expect((await currentPolicy(acmeId))?.version).to.equal(3);
  });

  it('shows operators 403, and an account manager not serving a client 404', async () => {
    const operator = await signedInAgent(tp.url, world.users.operatorBoth.email);
    await operator.get('/sla').expect(403);
    await operator.get(`/sla/${acmeId}/calendar`).expect(403);
    const post = await postForm(operator, '/', `/sla/${acmeId}/calendar`, acmeCalendar());
    expect(post.status).to.equal(403);

    const acmeOnly = await makeUser({ role: 'account_manager', tenantIds: [world.acme.id] });
    const agent = await signedInAgent(tp.url, acmeOnly.email);
    const list = await agent.get('/sla').expect(200);
    expect(tableRows(list.text, 'sla-contracts').map((r) => r[0])).to.deep.equal([
      `${world.acme.legalName} ${world.acme.code}`,
    ]);
    expect(textOf(list.text)).not.to.include(world.nord.legalName);
    await agent.get(`/sla/${nordId}/calendar`).expect(404);
    await agent.get(`/sla/${nordId}/policy`).expect(404);
    const foreign = await postForm(agent, '/', `/sla/${nordId}/calendar`, acmeCalendar());
    expect(foreign.status).to.equal(404);
    expect(await SlaCalendar.countDocuments({ tenantId: world.nord._id })).to.equal(0);
    await agent.get(`/sla/${acmeId}/calendar`).expect(200);
    await agent.get('/sla/not-an-id/calendar').expect(404);
  });

  it('seeds the demo contracts once', async () => {
    const acme = await makeTenant({ code: 'acme', timeZone: 'Europe/Rome', locale: 'it' });
    const nordhavn = await makeTenant({ code: 'nordhavn', timeZone: 'Europe/Copenhagen', locale: 'da' });
    expect(await seedContracts()).to.deep.equal({ calendars: 2, policies: 2 });
    expect(await seedContracts()).to.deep.equal({ calendars: 0, policies: 0 });
    const acmeCal = await calendarOf(String(acme._id));
    expect(acmeCal?.holidays).to.include.members(['2026-12-08', '2026-04-06', '2027-03-29', '2027-08-15']);
    expect(acmeCal?.holidays).to.have.length(22);
    const nordCal = await calendarOf(String(nordhavn._id));
    expect(nordCal?.holidays).to.include.members([
      '2026-04-02',
      '2026-04-03',
      '2026-05-14',
      '2026-12-24',
      '2027-03-25',
      '2027-05-17',
    ]);
    expect(nordCal?.weekly).to.deep.include({ day: 5, from: '08:00', to: '15:30' });
    const policy = await currentPolicy(String(acme._id));
    expect(policy?.version).to.equal(1);
    expect(targetFor(policy!, 'data_entry', 'urgent')).to.deep.equal({
      firstResponseSeconds: 3600,
      resolutionSeconds: 8 * 3600,
    });
    expect(targetFor(policy!, 'data_entry', 'low')).to.deep.equal({
      firstResponseSeconds: 16 * 3600,
      resolutionSeconds: 45 * 3600,
    });
    const invoice = targetFor(policy!, 'invoice', 'low');
    expect(invoice?.resolutionSeconds).to.be.lessThan(45 * 3600);
    const tenant = await Tenant.findById(acme._id).lean();
    expect(tenant?.calendarRef).to.be.a('string');
    expect(tenant?.contractRef).to.equal(String(policy?._id));
  });
});
