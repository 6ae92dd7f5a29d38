import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { User } from '../../../models/user.js';
import { t } from '../../../server/i18n/i18n.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { fieldError, linkPathIn, recipientOf, tableRows, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

describe('password reset and invitation links', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('password-links');
    world = await makeWorld();
  });
  after(() => tp?.stop());

  const mailTo = (email: string) => tp.smtp.waitFor((m) => recipientOf(m).includes(email));
  const signIn = (email: string, password: string) =>
    postForm(supertest.agent(tp.url), '/login', '/login', { email, password });
  const forgot = (email: string) =>
    postForm(supertest.agent(tp.url), '/password/forgot', '/password/forgot', { email });

  describe('reset by e-mail', () => {
    let user: Awaited<ReturnType<typeof makeUser>>;
    let link: string;
    const newPassword = 'a-brand-new-secret';

    before(async () => {
      user = await makeUser({ role: 'client_user', tenantId: world.acme.id });
    });

    it("mails a link in the user's tenant locale", async () => {
      const res = await forgot(user.email);
      expect(res.status).to.equal(200);
      expect(textOf(res.text)).to.include(t('en', 'auth.forgot_sent'));
      const mail = await mailTo(user.email);
      // Acme's locale is Italian and the user has none of their own.
      expect(mail.subject).to.equal(t('it', 'mail.password_reset.subject'));
      expect(mail.text).to.include(`Ciao ${user.name}`);
      link = linkPathIn(mail);
      expect(link).to.match(/^\/password\/reset\/[\w-]{20,}$/);
      expect(mail.text).to.include(`${tp.url}${link}`);
    });

    it('shows a form behind the link', async () => {
      const page = await supertest(tp.url).get(link).expect(200);
      expect(page.text).to.include('name="password"').and.include('name="confirm"');
    });

    it('re-renders a too-short password with a field error, and the link still works', async () => {
      const agent = supertest.agent(tp.url);
      const res = await postForm(agent, link, link, { password: 'short', confirm: 'short' });
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'password')).to.equal(t('en', 'validation.too_short', { min: 10 }));
      const mismatch = await postForm(agent, link, link, {
        password: newPassword,
        confirm: `${newPassword}!`,
      });
      expect(mismatch.status).to.equal(422);
      expect(fieldError(mismatch.text, 'confirm')).to.equal(t('en', 'validation.passwords_differ'));
      await supertest(tp.url).get(link).expect(200);
      expect((await signIn(user.email, PASSWORD)).status, 'the old password is still in force').to.equal(302);
    });

    it('sets the password: the new one signs in, the old one no longer does, older sessions end', async () => {
      const earlier = await signedInAgent(tp.url, user.email);
      const res = await postForm(supertest.agent(tp.url), link, link, {
        password: newPassword,
        confirm: newPassword,
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/login');
      expect((await signIn(user.email, newPassword)).status).to.equal(302);
      expect((await signIn(user.email, PASSWORD)).status).to.equal(401);
      await earlier.get('/').expect(302);
    });

    it('answers 404 to the same link a second time', async () => {
      await supertest(tp.url).get(link).expect(404);
      const again = await postForm(supertest.agent(tp.url), '/password/forgot', link, {
        password: 'yet-another-secret',
        confirm: 'yet-another-secret',
      });
      expect(again.status).to.equal(404);
      expect((await signIn(user.email, newPassword)).status, 'the password set first stays').to.equal(302);
    });

    it('answers an unknown address with the same page, and mails nothing', async () => {
      const known = await forgot(world.users.nordUser.email);
      const unknown = await forgot('no-such-person@example.test');
      expect(unknown.status).to.equal(known.status);
      const normalise = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, '');
      expect(normalise(unknown.text)).to.equal(normalise(known.text));
      // The known address's mail arrives; none was queued or sent for the unknown one.
      const mail = await mailTo(world.users.nordUser.email);
      expect(mail.subject, 'Nordhavn reads Danish').to.equal(t('da', 'mail.password_reset.subject'));
      // Queued (the outbox) or sent (the sent-mail log): neither holds a mail to that address.
      expect(
        await OutboxMail.countDocuments({ to: 'no-such-person@example.test' }).setOptions({
          allTenants: true,
        }),
      ).to.equal(0);
      expect(
        await SentMail.countDocuments({ to: 'no-such-person@example.test' }).setOptions({ allTenants: true }),
      ).to.equal(0);
      expect(
        tp.smtp.messages.filter((m) => recipientOf(m).includes('no-such-person@example.test')),
      ).to.have.length(0);
    });
  });

  describe('invitation by a client admin', () => {
    const invitee = { name: 'Giulia Neri', email: 'giulia.neri@acme.example', password: 'giulia-chose-this' };
    let link: string;

    it('mails the invitee a link', async () => {
      const admin = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const res = await postForm(admin, '/team', '/team', {
        name: invitee.name,
        email: invitee.email,
        role: 'client_user',
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/team');
      const mail = await mailTo(invitee.email);
      expect(mail.subject).to.equal(
        t('it', 'mail.invitation.subject', { inviter: world.users.acmeAdmin.name }),
      );
      expect(mail.text).to.include(world.acme.legalName);
      link = linkPathIn(mail);
      expect(link).to.match(/^\/invite\/[\w-]{20,}$/);
      expect(
        (await signIn(invitee.email, invitee.password)).status,
        'no password before the link is used',
      ).to.equal(401);
    });

    it('lets the invitee choose a password and sign in', async () => {
      await supertest(tp.url).get(link).expect(200);
      const res = await postForm(supertest.agent(tp.url), link, link, {
        password: invitee.password,
        confirm: invitee.password,
      });
      expect(res.status).to.equal(302);
      const stored = await User.findOne({ email: invitee.email }).setOptions({ allTenants: true }).lean();
      expect(stored?.status).to.equal('active');
      expect(String(stored?.tenantId)).to.equal(String(world.acme.id));
      const agent = await signedInAgent(tp.url, invitee.email, invitee.password);
      const home = await agent.get('/').expect(200);
      expect(textOf(home.text)).to.include(world.acme.legalName);
      await supertest(tp.url).get(link).expect(404);
    });

    it("lists the invitee in their client admin's team, and not in the other client's", async () => {
      const acme = await signedInAgent(tp.url, world.users.acmeAdmin.email);
      const acmeTeam = tableRows((await acme.get('/team').expect(200)).text, 'team');
      expect(acmeTeam.map((r) => r[1]))
        .to.include(invitee.email)
        .and.include(world.users.acmeUser.email);
      const nord = await signedInAgent(tp.url, world.users.nordAdmin.email);
      const nordPage = await nord.get('/team').expect(200);
      const nordTeam = tableRows(nordPage.text, 'team');
      expect(nordTeam.map((r) => r[1])).to.include(world.users.nordUser.email);
      expect(nordPage.text).to.not.include(invitee.email);
      expect(nordTeam.map((r) => r[1])).to.not.include(world.users.acmeUser.email);
    });
  });
});
