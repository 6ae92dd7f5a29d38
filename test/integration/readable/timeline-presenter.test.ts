import { expect } from 'chai';
import { pino } from 'pino';
import { SLA_SWEEP_JOB } from '../../../jobs/sla-sweep.js';
import { systemCtx } from '../../../server/domain/context.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { ticketInputSchema } from '../../../server/domain/tickets/schemas.js';
import { appendTimeline } from '../../../server/domain/tickets/timeline.js';
import { updateTicket } from '../../../server/domain/tickets/update.js';
import type { TicketWatchView } from '../../../server/realtime/events.js';
import { signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { textOf } from '../../support/pages.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ask, openSocket, signInForCookie, type ClientSocket } from '../../support/realtime.js';
import { ctxOf } from '../../support/tickets.js';

/** Item 8 of #14: one presenter for the ticket page and the live update, readable field changes. */
describe('readable history: one timeline presenter for page and socket', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  let number: string;
  const sockets: ClientSocket[] = [];

  before(async () => {
    tp = await startTestPortal('readable-timeline');
    world = await makeWorld();
    const ticket = await createTicket(
      ctxOf(world.users.acmeUser, world.acme),
      ticketInputSchema.parse({
        type: 'invoice',
        subject: 'Fattura 2026/7',
        priority: 'normal',
        fields: {
          supplierName: 'Rossi S.r.l.',
          supplierVat: 'IT01234567897',
          invoiceNumber: '2026/7',
          issueDate: '2026-11-02',
          dueDate: '2026-12-02',
          amount: 1250.4,
          currency: 'EUR',
        },
      }),
      'portal',
    );
    number = ticket.number;
    const op = ctxOf(world.users.operatorAcme, null);
    await updateTicket(op, number, {
      priority: 'high',
      fields: { approvalOutcome: 'approved', amount: 1300, dueDate: '2026-12-15' },
    });
    await appendTimeline(systemCtx(pino({ level: 'silent' }), SLA_SWEEP_JOB), ticket, {
      kind: 'sla',
      visibility: 'internal',
      data: { target: 'resolution', kind: 'warning', threshold: 75, dueAt: new Date() },
    });
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  /** The texts of each timeline entry on the page, in order. */
  function entriesOf(html: string): string[] {
    const list = /<ol class="timeline"[\s\S]*?<\/ol>/.exec(html)?.[0] ?? '';
    return [...list.matchAll(/<li class="entry[\s\S]*?(?=<li class="entry|<\/ol>)/g)].map((m) =>
      textOf(m[0]),
    );
  }

  it('names the field in the reader language with the old and new value formatted, SLA authored "SLA"', async () => {
    const it = await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'it' });
    const agent = await signedInAgent(tp.url, it.email);
    const html = (await agent.get(`/tickets/${number}`).expect(200)).text;
    const text = textOf(html);
    expect(text).not.to.include('fields.');
    expect(text).not.to.include('sla.sweep');
    expect(text).to.include('Priorità: Normale → Alta');
    expect(text).to.include('Approvazione: — → Approvata');
    expect(text).to.match(/Importo: 1\.?250,40\s€ → 1\.?300,00\s€/);
    expect(text).to.include('Scadenza: 2 dic 2026 → 15 dic 2026');
    const sla = entriesOf(html).find((e) => e.includes('SLA'));
    expect(sla).to.match(/^SLA /);
    expect(sla).to.include('75%');
  });

  it('a live entry (ticket:watch) reads exactly as the page prints it', async () => {
    for (const [user, locale] of [
      [await makeUser({ role: 'operator', tenantIds: [world.acme.id], locale: 'da' }), 'da'],
      [world.users.operatorAcme, 'en'],
    ] as const) {
      const agent = await signedInAgent(tp.url, user.email);
      const pageEntries = entriesOf((await agent.get(`/tickets/${number}`).expect(200)).text);
      const { cookie } = await signInForCookie(tp.url, user.email);
      const socket = await openSocket(tp.url, { cookie });
      sockets.push(socket);
      const watched = await ask<TicketWatchView>(socket, 'ticket:watch', { ref: number });
      const live = watched.data?.entries ?? [];
      expect(
        live.map((e) => e.kind),
        locale,
      ).to.deep.equal(['created', 'fields', 'sla']);
      const sla = live.find((e) => e.kind === 'sla');
      expect(sla?.author).to.equal('SLA');
      expect(sla?.summary?.lines[0]).to.be.a('string').and.include('75');
      // The same words, in the same order, as the page prints for each entry.
      live.forEach((e, i) => {
        const words = [e.author, e.internalLabel, e.atText, ...(e.summary?.lines ?? []), e.body]
          .filter(Boolean)
          .join(' ');
        expect(words.replace(/\s+/g, ' ').trim(), `${locale} ${e.kind}`).to.equal(pageEntries[i]);
      });
    }
  });
});
