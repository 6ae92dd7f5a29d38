import { expect } from 'chai';
import { Macro } from '../../../models/macro.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { csrfFrom, postForm, signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, fieldError, textOf, textOfElementWith } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

/** Issue 16, item 3: macros kept on their pages and applied from the ticket page, without JavaScript. */
describe('macros over HTTP', function () {
  this.timeout(30_000);
  let tp: TestPortal;
  let world: World;
  let lead: Agent;
  let operator: Agent;

  before(async () => {
    tp = await startTestPortal('macros-http');
    world = await makeWorld();
    lead = await signedInAgent(tp.url, world.users.teamLead.email);
    operator = await signedInAgent(tp.url, world.users.operatorBoth.email);
  });
  after(() => tp.stop());

  const fields = (over: Record<string, string> = {}) => ({
    name: 'Ask for documents',
    tenantId: '',
    type: 'complaint',
    body_en: 'Dear {{requester.name}}, please send the documents for {{ticket.number}}.',
    body_it: 'Gentile {{requester.name}}, ci mandi i documenti per {{ticket.number}}.',
    body_da: 'Kære {{requester.name}}, send dokumenterne til {{ticket.number}}.',
    status: 'pending',
    priority: 'high',
    tags: 'documents',
    fieldChanges: 'severity=high',
    ...over,
  });

  it('re-renders the form with a field error for an unknown placeholder, keeping what was typed', async () => {
    const res = await postForm(lead, '/macros/new', '/macros', fields({ body_da: 'Hej {{kunde.navn}}' }));
    expect(res.status).to.equal(422);
    expect(fieldError(res.text, 'body_da')).to.equal('Unknown placeholder “kunde.navn”.');
    expect(decodeHtml(res.text)).to.include('Gentile {{requester.name}}, ci mandi i documenti');
    expect(await Macro.countDocuments({ tenantId: null, name: 'Ask for documents' })).to.equal(0);
  });

  it('saves a macro, lists it and edits it', async () => {
    const res = await postForm(lead, '/macros/new', '/macros', fields());
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/macros');
    const list = (await lead.get('/macros').expect(200)).text;
    expect(textOfElementWith(list, 'data-testid="macros"')).to.include('Ask for documents');
    const macro = await Macro.findOne({ tenantId: null, name: 'Ask for documents' }).lean();
    const edit = (await lead.get(`/macros/${String(macro?._id)}`).expect(200)).text;
    expect(decodeHtml(edit)).to.include('severity=high');
    const saved = await postForm(
      lead,
      `/macros/${String(macro?._id)}`,
      `/macros/${String(macro?._id)}`,
      fields({ priority: 'urgent', active: 'true' }),
    );
    expect(saved.status).to.equal(302);
    expect((await Macro.findOne({ _id: macro?._id, tenantId: null }).lean())?.priority).to.equal('urgent');
    // Operators apply macros but do not keep them.
    await operator.get('/macros').expect(403);
  });

  it("previews on the ticket page in the requester's language and applies as one entry", async () => {
    const macro = await Macro.findOne({ tenantId: null, name: 'Ask for documents' }).lean();
    const ticket = await makeTicket(world.users.nordUser, world.nord, 'Over HTTP');
    const page = (await operator.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(page).to.include('data-testid="macro-picker"');
    const preview = (await operator.get(`/tickets/${ticket.number}?macro=${String(macro?._id)}`).expect(200))
      .text;
    expect(textOfElementWith(preview, 'data-testid="macro-text"')).to.equal(
      `Kære ${world.users.nordUser.name}, send dokumenterne til ${ticket.number}.`,
    );
    expect(textOf(preview)).to.include('The requester reads: Danish');
    const res = await operator
      .post(`/tickets/${ticket.number}/macro`)
      .type('form')
      .send({ _csrf: csrfFrom(preview), macroId: String(macro?._id) })
      .expect(302);
    expect(res.headers.location).to.equal(`/tickets/${ticket.number}#latest`);
    const stored = await Ticket.findOne({ tenantId: world.nord._id, number: ticket.number }).lean();
    expect(stored).to.include({ status: 'pending', priority: 'urgent' });
    const publicEntries = await TimelineEntry.find({
      tenantId: world.nord._id,
      ticketId: ticket._id,
      visibility: 'public',
    }).lean();
    expect(publicEntries.map((e) => e.kind).sort()).to.deep.equal(['created', 'reply']);
    const after = (await operator.get(`/tickets/${ticket.number}`).expect(200)).text;
    expect(textOf(after)).to.include('Macro “Ask for documents” applied.');
  });

  it("refuses a missing value with the page's message, and another client's macro as not found", async () => {
    const acmeOnly = await Macro.create({
      tenantId: world.acme._id,
      name: 'Acme due',
      type: null,
      body: { en: 'By {{due.resolution}}', it: 'Entro {{due.resolution}}', da: 'Inden {{due.resolution}}' },
    });
    const acmeTicket = await makeTicket(world.users.acmeUser, world.acme, 'No clock');
    const preview = (await operator.get(`/tickets/${acmeTicket.number}?macro=${String(acmeOnly._id)}`)).text;
    expect(textOfElementWith(preview, 'data-testid="macro-missing"')).to.equal(
      'Not sent: this ticket has no value for due.resolution.',
    );
    expect(preview).not.to.include('data-testid="macro-apply"');
    const refused = await operator
      .post(`/tickets/${acmeTicket.number}/macro`)
      .type('form')
      .send({ _csrf: csrfFrom(preview), macroId: String(acmeOnly._id) });
    expect(refused.status).to.equal(422);
    expect(textOf(refused.text)).to.include('Not sent: this ticket has no value for due.resolution.');
    const nordTicket = await makeTicket(world.users.nordUser, world.nord, 'Other client');
    await operator.get(`/tickets/${nordTicket.number}?macro=${String(acmeOnly._id)}`).expect(404);
    await operator
      .post(`/tickets/${nordTicket.number}/macro`)
      .type('form')
      .send({ _csrf: csrfFrom(preview), macroId: String(acmeOnly._id) })
      .expect(404);
    const nordPage = (await operator.get(`/tickets/${nordTicket.number}`).expect(200)).text;
    expect(nordPage).not.to.include('Acme due');
  });
});
