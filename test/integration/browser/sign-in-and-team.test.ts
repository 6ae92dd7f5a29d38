import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../../support/browser.js';
import { makeWorld, PASSWORD, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';

/** The pages as a person uses them, in a real browser. */
describe('sign-in and team pages in a browser', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let browser: Browser;

  before(async () => {
    tp = await startTestPortal('browser-team');
    world = await makeWorld();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  it('signs a client admin in, invites a colleague with field errors first, and signs out', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${tp.url}/team`);
    expect(new URL(page.url()).pathname).to.equal('/login');

    expect(await page.textContent('h1')).to.equal('Backoffice Desk');
    await page.fill('input[name=email]', world.users.acmeAdmin.email);
    await page.fill('input[name=password]', 'wrong password!');
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]')).to.include('E-mail address or password is not right.');

    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    expect(new URL(page.url()).pathname).to.equal('/team');
    const nav = await page.locator('nav.nav a').allTextContents();
    // Acme's locale is Italian: the pages follow it once signed in.
    expect(nav).to.include('Il mio team');
    expect(nav.join(' ')).to.not.include('Clienti');

    await page.fill('form[action="/team"] input[name=name]', 'Giorgio Verdi');
    await page.fill('form[action="/team"] input[name=email]', 'not-an-email');
    await page.click('form[action="/team"] button[type=submit]');
    expect(await page.textContent('#e-email')).to.include('indirizzo e-mail valido');
    expect(await page.inputValue('form[action="/team"] input[name=name]')).to.equal('Giorgio Verdi');

    await page.fill('form[action="/team"] input[name=email]', 'giorgio@acme.example');
    await page.click('form[action="/team"] button[type=submit]');
    expect(await page.textContent('[role=status]')).to.include('Invito inviato.');
    expect(await page.textContent('[data-testid=team]')).to.include('giorgio@acme.example');
    const mail = await tp.smtp.waitFor((m) =>
      (m.to && 'text' in m.to ? m.to.text : '').includes('giorgio@acme.example'),
    );
    expect(mail.subject).to.include('ti ha invitato');
    expect(mail.text).to.include('/invite/');

    await page.click('header form button[type=submit]');
    expect(new URL(page.url()).pathname).to.equal('/login');
    await context.close();
  });
});
