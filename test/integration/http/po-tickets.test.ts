import { expect } from 'chai';
import { Ticket } from '../../../models/ticket.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { listPoTickets } from '../../../server/domain/tickets/list-po-tickets.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { apiClient, tokenOf } from '../../support/api.js';
import { signedInAgent, type Agent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { decodeHtml, textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ctxOf } from '../../support/tickets.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';

/** Issue 17 item 6: a PO number is shown with the client's other open tickets that name it. */
describe('purchase orders: the other open tickets of the client naming the same PO', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let acmeClient: Agent;
  let nordClient: Agent;
  let operatorBoth: Agent;

  before(async () => {
    tp = await startTestPortal('po-tickets');
    world = await makeWorld();
    acmeClient = await signedInAgent(tp.url, world.users.acmeUser.email);
    nordClient = await signedInAgent(tp.url, world.users.nordUser.email);
    operatorBoth = await signedInAgent(tp.url, world.users.operatorBoth.email);
  });
  after(() => tp?.stop());

  const invoice = (tenant: 'acme' | 'nord', invoiceNumber: string, poNumber?: string) =>
    createTicket(
      ctxOf(tenant === 'acme' ? world.users.acmeUser : world.users.nordUser, world[tenant]),
      ticketInputSchema.parse({
        type: 'invoice',
        subject: `Invoice ${invoiceNumber}`,
        priority: 'normal',
        fields: {
          supplierName: 'Fornitore',
          supplierVat: 'IT01234567897',
          invoiceNumber,
          issueDate: '2026-11-02',
          dueDate: '2026-12-02',
          currency: 'EUR',
          amount: 10,
          ...(poNumber ? { poNumber } : {}),
        },
      }),
      'portal',
    );
  const poNumbersOn = (html: string): string[] =>
    [...html.matchAll(/data-testid="po-ticket"><a href="\/tickets\/([^"]+)"/g)].map((m) => m[1]!);

  it("lists the client's other open tickets naming the PO, as links, typed or from a file, never another client's", async () => {
    const a = await invoice('acme', 'PO-A', ' PO-4711 ');
    const b = await invoice('acme', 'PO-B', 'PO-4711');
    const closed = await invoice('acme', 'PO-C', 'PO-4711');
    await Ticket.updateOne({ _id: closed._id, tenantId: closed.tenantId }, { $set: { status: 'closed' } });
    const otherPo = await invoice('acme', 'PO-D', 'PO-4712');
    const nord = await invoice('nord', 'PO-N', 'PO-4711');
    // A FatturaPA naming the PO in DatiOrdineAcquisto, through the API.
    const acmeApi = apiClient(tp.url, (await tokenOf(world.users.acmeAdmin)).token);
    const sent = await acmeApi
      .post('/einvoices?filename=po.xml')
      .set('Content-Type', 'application/xml')
      .send(Buffer.from(fatturaPA({ bodies: [{ number: 'PO-FILE', po: ['PO-4711'] }] })))
      .expect(201);
    const fromFile = sent.body.invoices[0].ticket.number as string;

    const page = await acmeClient.get(`/tickets/${a.number}`).expect(200);
    expect(page.text).to.include('data-testid="po-tickets"');
    expect(decodeHtml(textOf(page.text))).to.include('PO-4711');
    expect(poNumbersOn(page.text).sort()).to.deep.equal([b.number, fromFile].sort());
    for (const absent of [a.number, closed.number, otherPo.number, nord.number])
      expect(poNumbersOn(page.text)).to.not.include(absent);
    // The file's ticket lists the typed ones.
    const filePage = await acmeClient.get(`/tickets/${fromFile}`).expect(200);
    expect(poNumbersOn(filePage.text).sort()).to.deep.equal([a.number, b.number].sort());
    // Staff serving both clients see the same list: the ticket's own client only.
    const staffPage = await operatorBoth.get(`/tickets/${a.number}`).expect(200);
    expect(poNumbersOn(staffPage.text).sort()).to.deep.equal([b.number, fromFile].sort());
    // Nord's ticket with the same PO: none of Acme's, and says there is no other.
    const nordPage = await nordClient.get(`/tickets/${nord.number}`).expect(200);
    expect(poNumbersOn(nordPage.text)).to.deep.equal([]);
    expect(nordPage.text).to.include('data-testid="po-tickets"');
    // A ticket naming no PO shows no list.
    const noPo = await invoice('acme', 'PO-E');
    expect((await acmeClient.get(`/tickets/${noPo.number}`).expect(200)).text).to.not.include(
      'data-testid="po-tickets"',
    );

    // The REST representation carries the same list.
    const rest = await acmeApi.get(`/tickets/${a.number}`).expect(200);
    expect(rest.body.poTickets.po).to.equal('PO-4711');
    expect(rest.body.poTickets.tickets.map((t: { number: string }) => t.number).sort()).to.deep.equal(
      [b.number, fromFile].sort(),
    );
    expect(rest.body.poTickets.tickets[0].url).to.match(/^\/api\/v1\/tickets\//);
    expect((await acmeApi.get(`/tickets/${noPo.number}`).expect(200)).body.poTickets).to.equal(null);
  });

  it('in the domain: scoped by the caller too, and capped with a "more" flag', async () => {
    const tickets = [];
    for (let i = 0; i < 22; i++) tickets.push(await invoice('acme', `CAP-${i}`, 'PO-CAP'));
    const first = tickets[0]!;
    const listed = await listPoTickets(ctxOf(world.users.acmeUser, world.acme), first);
    expect(listed?.tickets).to.have.length(20);
    expect(listed?.more).to.equal(true);
    // Newest first.
    expect(listed?.tickets[0]?.number).to.equal(tickets[21]!.number);
    // A caller of another client handed Acme's ticket reads nothing of Acme.
    const theirs = await listPoTickets(ctxOf(world.users.nordUser, world.nord), first);
    expect(theirs?.tickets).to.deep.equal([]);
  });
});
