import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { loadCatalogue, locales, t } from '../../../server/i18n/i18n.js';
import { fromRoot } from '../../../server/paths.js';
import { csrfFrom, signedInAgent, type Agent } from '../../support/browser-session.js';
import { uploadCsv } from '../../support/csv-import.js';
import { makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, fieldError, tableRows, textOf, textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

/** The options of a select on a page: value, whether selected. */
function optionsOf(html: string, name: string): Array<{ value: string; selected: boolean }> {
  const select =
    new RegExp(`<select[^>]*name="${name.replace(/\./g, '\\.')}"[^>]*>([\\s\\S]*?)</select>`).exec(
      html,
    )?.[1] ?? '';
  return [...select.matchAll(/<option value="([^"]*)"([^>]*)>/g)].map((m) => ({
    value: m[1]!,
    selected: /\bselected\b/.test(m[2]!),
  }));
}

function keysOf(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keysOf(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}
const valueAt = (obj: Record<string, unknown>, key: string): unknown =>
  key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);

/** Issue #14 item 14: the small things found in first real use. */
describe('small things in the pages', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let client: Agent;
  let lead: Agent;

  before(async () => {
    tp = await startTestPortal('small-things');
    world = await makeWorld();
    client = await signedInAgent(tp.url, world.users.acmeUser.email);
    lead = await signedInAgent(tp.url, world.users.teamLead.email);
  });
  after(() => tp?.stop());

  it('renders every text input of the forms with a real input type (never the ticket type)', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Input types');
    const allowed = new Set([
      'text',
      'email',
      'password',
      'date',
      'number',
      'search',
      'hidden',
      'file',
      'checkbox',
      'radio',
      'submit',
    ]);
    const pages = [
      ...(await Promise.all(
        ['invoice', 'complaint', 'data_entry'].map(
          async (type) => (await client.get(`/tickets/new/${type}`).expect(200)).text,
        ),
      )),
      ...(await Promise.all(
        ['invoice', 'complaint', 'data_entry'].map(
          async (type) => (await lead.get(`/tickets/${ticket.number}/edit?type=${type}`).expect(200)).text,
        ),
      )),
    ];
    for (const html of pages) {
      const types = [...html.matchAll(/<input[^>]*\btype="([^"]*)"/g)].map((m) => m[1]!);
      expect(types.length).to.be.greaterThan(3);
      expect(types.filter((t) => !allowed.has(t))).to.deep.equal([]);
    }
    expect(pages[0]).to.match(/<input id="f-fields\.supplierName" name="fields\.supplierName" type="text"/);
  });

  it('starts the assign list on an empty choice, and assigns nobody when it is sent as it is', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Assign me');
    const page = (await lead.get(`/tickets/${ticket.number}`).expect(200)).text;
    const options = optionsOf(page, 'userId');
    expect(options.length).to.be.greaterThan(1);
    expect(options[0]).to.deep.equal({ value: '', selected: true });
    expect(options.filter((o) => o.selected)).to.have.length(1);
    const res = await lead
      .post(`/tickets/${ticket.number}/assign`)
      .type('form')
      .send({ _csrf: csrfFrom(page), userId: '' })
      .expect(302);
    expect(res.headers.location).to.equal(`/tickets/${ticket.number}`);
    const after = (await lead.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(textOfElementWith(after, 'role="status"')).to.equal('Choose the person to assign the ticket to.');
    const stored = await Ticket.findOne({ tenantId: world.acme._id, _id: ticket._id }).lean();
    expect(stored?.assignee ?? null).to.equal(null);
  });

  it('makes the complaint form ask for channel and severity instead of defaulting them', async () => {
    const form = (await client.get('/tickets/new/complaint').expect(200)).text;
    for (const name of ['fields.channel', 'fields.severity']) {
      const options = optionsOf(form, name);
      expect(options[0], name).to.deep.equal({ value: '', selected: false });
      expect(
        options.filter((o) => o.selected),
        name,
      ).to.deep.equal([]);
    }
    const res = await client
      .post('/tickets/new/complaint')
      .field('_csrf', csrfFrom(form))
      .field('subject', 'Customer never called back')
      .field('priority', 'normal')
      .field('fields.customerName', 'Bianchi')
      .field('fields.customerReference', 'C-77')
      .field('fields.category', 'Callback')
      .field('fields.channel', '')
      .field('fields.severity', '');
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'fields.channel')).to.be.a('string').and.not.equal('');
    expect(fieldError(res.text, 'fields.severity')).to.be.a('string').and.not.equal('');
    expect(
      await Ticket.countDocuments({ tenantId: world.acme._id, subject: 'Customer never called back' }),
    ).to.equal(0);
  });

  it('says counts with plural forms in every language, and names import columns by their label', async () => {
    // Every message that interpolates a count has its one and other forms, in en, it and da.
    // (`live.*` is the browser's catalogue for the live queue, which reads no plural forms.)
    for (const locale of locales) {
      const catalogue = loadCatalogue(locale);
      const keys = keysOf(catalogue);
      const counted = keys.filter(
        (k) =>
          !k.startsWith('live.') &&
          !/_(one|other|zero|two|few|many)$/.test(k) &&
          String(valueAt(catalogue, k)).includes('{{count}}'),
      );
      expect(counted, `${locale}: keys with a count but no plural forms`).to.deep.equal([]);
      for (const k of keys.filter((k) => k.endsWith('_one') && !k.startsWith('live.')))
        expect(keys, `${locale}: ${k}`).to.include(k.replace(/_one$/, '_other'));
    }
    // The sign-in throttle says how many minutes are left (the page passes the count).
    expect(t('en', 'auth.throttled', { count: 1, minutes: 1 })).to.equal(
      'Too many failed attempts. Try again in 1 minute.',
    );
    expect(t('it', 'auth.throttled', { count: 1, minutes: 1 })).to.equal(
      'Troppi tentativi falliti. Riprova tra 1 minuto.',
    );
    expect(t('da', 'auth.throttled', { count: 12, minutes: 12 })).to.equal(
      'For mange mislykkede forsøg. Prøv igen om 12 minutter.',
    );
    // An Italian file with one good row and one bad one.
    const csv =
      'subject;description;priority;batchDescription;targetSystem;expectedRecordCount;tags\nBolle 14;;normale;Inserire le bolle;SAP;1.200;\nBolle 15;;normale;Inserire le bolle;SAP;molti;\n';
    const res = await uploadCsv(client, csv, 'lotto.csv').expect(303);
    const preview = (await client.get(res.headers.location as string).expect(200)).text;
    expect(textOfElementWith(preview, 'data-testid="import-counts"')).to.equal(
      '2 righe lette: 1 pronta, 1 con errori.',
    );
    expect(textOfElementWith(preview, 'data-testid="import-only-valid"')).to.include(
      'Puoi creare ora 1 ticket valido,',
    );
    expect(decodeHtml(preview)).to.not.include('i 1 ticket validi');
    expect(textOfElementWith(preview, 'data-testid="import-errors"')).to.equal(
      'Riga 3, Record previsti: Inserisci un numero intero, ad es. 1200.',
    );
    const header = tableRows(preview, 'import-rows')[0];
    expect(textOf(preview)).to.include('Descrizione del lotto');
    expect(header?.join(' ') ?? '').to.not.include('expectedRecordCount');
  });

  it('shows a client their own tickets on the home page, and a button per kind of ticket', async () => {
    const mine = await makeTicket(world.users.acmeUser, world.acme, 'Home page ticket');
    const colleague = await makeTicket(world.users.acmeAdmin, world.acme, 'A colleague ticket');
    const home = (await client.get('/').expect(200)).text;
    expect(home).to.not.include('data-testid="tenant-list"');
    const rows = tableRows(home, 'my-tickets');
    expect(rows.map((r) => r[0])).to.include(mine.number);
    expect(rows.map((r) => r[0])).to.not.include(colleague.number);
    for (const type of ['invoice', 'complaint', 'data_entry'])
      expect(home).to.include(`href="/tickets/new/${type}"`);
    expect(textOf(home)).to.include('Nuovo: Gestione fatture').and.include('I tuoi ticket');
    // Staff keep the list of the clients they serve.
    expect((await lead.get('/').expect(200)).text).to.include('data-testid="tenant-list"');
  });

  it('has a README whose introduction no longer says the SLA engine and reports are being built', () => {
    const intro = readFileSync(fromRoot('README.md'), 'utf8').split('\n## ')[0]!;
    expect(intro).to.not.match(/being built/i);
    expect(intro).to.match(/SLA/);
  });
});
