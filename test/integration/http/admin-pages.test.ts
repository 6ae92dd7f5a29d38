import { expect } from 'chai';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { t } from '../../../server/i18n/i18n.js';
import { postForm, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import {
  alertText,
  fieldError,
  inputValue,
  linkPathIn,
  navHrefs,
  recipientOf,
  tableRows,
  textOf,
} from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

describe('admin pages', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let admin: Agent;

  before(async () => {
    tp = await startTestPortal('admin-pages');
    world = await makeWorld();
    admin = await signedInAgent(tp.url, world.users.admin.email);
  });
  after(() => tp?.stop());

  describe('clients', () => {
    const legalName = 'Brünnhilde & Söhne <GmbH>';
    let id: string;

    it('re-renders a bad code and an unknown time zone with field errors, keeping what was typed', async () => {
      const res = await postForm(admin, '/admin/tenants/new', '/admin/tenants', {
        code: '9 Bad Code!',
        legalName,
        timeZone: 'Mars/Olympus_Mons',
        locale: 'da',
      });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'code')).to.equal(t('en', 'validation.tenant_code'));
      expect(fieldError(res.text, 'timeZone')).to.equal(t('en', 'validation.time_zone'));
      expect(fieldError(res.text, 'legalName')).to.equal(null);
      expect(inputValue(res.text, 'legalName')).to.equal(legalName);
      expect(inputValue(res.text, 'timeZone')).to.equal('Mars/Olympus_Mons');
      expect(res.text).to.match(/<option value="da"\s+selected>/);
      expect(alertText(res.text)).to.equal(t('en', 'errors.validation'));
      expect(await Tenant.countDocuments({ legalName })).to.equal(0);
    });

    it('creates a client', async () => {
      const res = await postForm(admin, '/admin/tenants/new', '/admin/tenants', {
        code: 'Bruenn',
        legalName,
        timeZone: 'Europe/Berlin',
        locale: 'en',
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/admin/tenants');
      const tenant = await Tenant.findOne({ code: 'bruenn' }).lean();
      expect(tenant).to.include({ legalName, timeZone: 'Europe/Berlin', locale: 'en', status: 'active' });
      id = String(tenant?._id);
      const list = await admin.get('/admin/tenants').expect(200);
      expect(textOf(list.text)).to.include(t('en', 'tenants.created'));
      const row = tableRows(list.text, 'tenants').find((r) => r[0] === 'bruenn');
      expect(row?.[1]).to.equal(legalName);
    });

    it('refuses a second client with the same code as a field error, not a 500', async () => {
      const res = await postForm(admin, '/admin/tenants/new', '/admin/tenants', {
        code: 'bruenn',
        legalName: 'Someone Else',
        timeZone: 'Europe/Rome',
        locale: 'it',
      });
      expect(res.status).to.equal(409);
      expect(fieldError(res.text, 'code')).to.equal(t('en', 'validation.duplicate'));
      expect(inputValue(res.text, 'legalName')).to.equal('Someone Else');
    });

    it('edits a client', async () => {
      const form = await admin.get(`/admin/tenants/${id}`).expect(200);
      expect(inputValue(form.text, 'legalName')).to.equal(legalName);
      const bad = await postForm(admin, `/admin/tenants/${id}`, `/admin/tenants/${id}`, {
        code: 'bruenn',
        legalName: 'Brünnhilde AG',
        timeZone: 'Nowhere/Special',
        locale: 'en',
      });
      expect(bad.status).to.equal(422);
      expect(inputValue(bad.text, 'legalName')).to.equal('Brünnhilde AG');
      const res = await postForm(admin, `/admin/tenants/${id}`, `/admin/tenants/${id}`, {
        code: 'bruenn',
        legalName: 'Brünnhilde AG',
        timeZone: 'Europe/Vienna',
        locale: 'it',
        contractRef: 'CTR-7',
      });
      expect(res.status).to.equal(302);
      expect(await Tenant.findById(id).lean()).to.include({
        legalName: 'Brünnhilde AG',
        timeZone: 'Europe/Vienna',
        locale: 'it',
        contractRef: 'CTR-7',
      });
      const again = await admin.get(`/admin/tenants/${id}`).expect(200);
      expect(inputValue(again.text, 'legalName')).to.equal('Brünnhilde AG');
    });

    it('suspends and re-activates a client', async () => {
      const res = await postForm(admin, '/admin/tenants', `/admin/tenants/${id}/status`, {
        status: 'suspended',
      });
      expect(res.status).to.equal(302);
      expect((await Tenant.findById(id).lean())?.status).to.equal('suspended');
      const list = await admin.get('/admin/tenants').expect(200);
      expect(textOf(list.text)).to.include(t('en', 'tenants.suspended'));
      expect(tableRows(list.text, 'tenants').find((r) => r[0] === 'bruenn')?.[4]).to.equal(
        t('en', 'status.suspended'),
      );
      const back = await postForm(admin, '/admin/tenants', `/admin/tenants/${id}/status`, {
        status: 'active',
      });
      expect(back.status).to.equal(302);
      expect((await Tenant.findById(id).lean())?.status).to.equal('active');
      const bogus = await postForm(admin, '/admin/tenants', `/admin/tenants/${id}/status`, {
        status: 'deleted',
      });
      expect(bogus.status).to.equal(422);
    });
  });

  describe('staff', () => {
    const email = 'new.operator@desk.example';

    it('invites a staff member who serves chosen clients', async () => {
      const form = await admin.get('/admin/staff/new').expect(200);
      expect(form.text)
        .to.include(`value="${String(world.acme.id)}"`)
        .and.include(`value="${String(world.nord.id)}"`);
      const res = await postForm(admin, '/admin/staff/new', '/admin/staff', {
        name: 'Nina Operator',
        email: email.toUpperCase(),
        role: 'operator',
        tenantIds: [String(world.acme.id), String(world.nord.id)],
        locale: 'da',
      });
      expect(res.status).to.equal(302);
      const user = await User.findOne({ email, tenantId: null }).lean();
      expect(user).to.include({ role: 'operator', status: 'invited', locale: 'da', passwordHash: null });
      expect(user?.tenantIds.map(String)).to.have.members([String(world.acme.id), String(world.nord.id)]);
      const mail = await tp.smtp.waitFor((m) => recipientOf(m).includes(email));
      expect(mail.subject).to.equal(t('da', 'mail.invitation.subject', { inviter: world.users.admin.name }));
      expect(linkPathIn(mail)).to.match(/^\/invite\//);
      const row = tableRows((await admin.get('/admin/staff').expect(200)).text, 'staff').find(
        (r) => r[1] === email,
      );
      expect(row?.[3]?.split(' ')).to.have.members([world.acme.code, world.nord.code]);
    });

    it('answers a duplicate e-mail with a field error (409), not a 500', async () => {
      for (const existing of [email, world.users.acmeUser.email]) {
        const res = await postForm(admin, '/admin/staff/new', '/admin/staff', {
          name: 'Someone Again',
          email: existing,
          role: 'operator',
          tenantIds: String(world.acme.id),
          locale: '',
        });
        expect(res.status, existing).to.equal(409);
        expect(fieldError(res.text, 'email'), existing).to.equal(t('en', 'validation.duplicate'));
        expect(inputValue(res.text, 'name')).to.equal('Someone Again');
      }
      expect(await User.countDocuments({ email }).setOptions({ allTenants: true })).to.equal(1);
    });

    it('refuses an unknown client among the assignments', async () => {
      const res = await postForm(admin, '/admin/staff/new', '/admin/staff', {
        name: 'Ghost Server',
        email: 'ghost@desk.example',
        role: 'operator',
        tenantIds: ['0123456789abcdef01234567'],
        locale: '',
      });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'tenantIds')).to.equal(t('en', 'validation.unknown'));
    });
  });

  describe('navigation shows only what the role may use', () => {
    const adminLinks = ['/admin/tenants', '/admin/staff', '/admin/audit'];

    it('gives a client user no admin or team links', async () => {
      const agent = await signedInAgent(tp.url, world.users.acmeUser.email);
      const nav = navHrefs((await agent.get('/').expect(200)).text);
      expect(nav).to.include('/');
      expect(nav).to.not.include('/team');
      for (const href of adminLinks) expect(nav).to.not.include(href);
    });

    it('gives a client admin their team, and no admin links', async () => {
      const agent = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const nav = navHrefs((await agent.get('/').expect(200)).text);
      expect(nav).to.include('/team');
      for (const href of adminLinks) expect(nav).to.not.include(href);
    });

    it('gives staff without admin rights neither admin nor team links', async () => {
      for (const who of ['teamLead', 'operatorAcme', 'accountManager'] as const) {
        const agent = await signedInAgent(tp.url, world.users[who].email);
        const nav = navHrefs((await agent.get('/').expect(200)).text);
        expect(nav, who).to.not.include('/team');
        for (const href of adminLinks) expect(nav, who).to.not.include(href);
      }
    });

    it('gives an administrator every admin page, and no team page', async () => {
      const nav = navHrefs((await admin.get('/').expect(200)).text);
      expect(nav).to.include.members(adminLinks);
      expect(nav).to.not.include('/team');
    });

    it('offers no link that refuses the one who sees it', async () => {
      for (const who of Object.keys(world.users) as Array<keyof World['users']>) {
        const agent = who === 'admin' ? admin : await signedInAgent(tp.url, world.users[who].email);
        for (const href of navHrefs((await agent.get('/').expect(200)).text)) {
          const res = await agent.get(href);
          expect(res.status, `${who} ${href}`).to.equal(200);
        }
      }
    });
  });
});
