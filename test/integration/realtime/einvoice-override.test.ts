import { expect } from 'chai';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { Ticket } from '../../../models/ticket.js';
import { receiveEInvoice } from '../../../server/domain/einvoices/receive-einvoice.js';
import { ticketFindingStates } from '../../../server/domain/tickets/approval-gate.js';
import type { TicketSummary } from '../../../server/domain/queues/views.js';
import type { TicketWatchView } from '../../../server/realtime/events.js';
import { userCtx } from '../../support/api.js';
import { csrfFrom, signedInAgent } from '../../support/browser-session.js';
import { makeUser, makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import {
  ask,
  eventually,
  openSocket,
  record,
  signInForCookie,
  sleep,
  type ClientSocket,
} from '../../support/realtime.js';
import { fatturaPA } from '../../domain/einvoices/builders.js';

/**
 * Issue #17: overriding a finding is a ticket change like the others: the version is bumped once
 * and the other open pages of the ticket (and the staff's queues) hear it live over socket.io.
 */
describe('real-time: an e-invoice finding override refreshes the ticket live', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;
  const sockets: ClientSocket[] = [];

  before(async () => {
    tp = await startTestPortal('rt-einvoice-override');
    world = await makeWorld();
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  let n = 0;
  /** An Acme e-invoice ticket whose file has an error (VAT not matching its rate), and that error. */
  async function einvoiceWithError() {
    const xml = fatturaPA({
      bodies: [{ number: `RT-OVR-${++n}`, summary: [{ rate: '22.00', taxable: '100.00', tax: '30.00' }] }],
    });
    const receipt = await receiveEInvoice(
      userCtx(world.users.acmeUser),
      { filename: 'rt.xml' },
      Buffer.from(xml),
    );
    const ticket = (await Ticket.findOne({
      _id: receipt.invoices[0]!.ticket.id,
      tenantId: world.acme._id,
    }).lean())!;
    const states = (await ticketFindingStates(userCtx(world.users.admin), ticket))!;
    const error = states.find((s) => s.severity === 'error' && s.rule === 'bpo.summary_tax')!;
    return { ticket, error };
  }

  it('a second viewer hears the override; the version goes up once, a repeat bumps nothing', async () => {
    const { ticket, error } = await einvoiceWithError();

    // The second viewer: an operator with the ticket page open (its socket watches the ticket).
    const { cookie } = await signInForCookie(tp.url, world.users.operatorAcme.email);
    const viewer = await openSocket(tp.url, { cookie });
    sockets.push(viewer);
    const activity = record<{ ticketId: string; version: number }>(viewer, 'ticket:activity');
    const changed = record<TicketSummary>(viewer, 'ticket:changed');
    const watch = await ask<TicketWatchView>(viewer, 'ticket:watch', { ref: ticket.number });
    expect(watch.data?.ticketId).to.equal(String(ticket._id));

    // The first: a team lead overrides the error on the page.
    const leadUser = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'en' });
    const lead = await signedInAgent(tp.url, leadUser.email);
    const override = async () => {
      const token = csrfFrom((await lead.get(`/tickets/${ticket.number}`).expect(200)).text);
      return lead
        .post(`/tickets/${ticket.number}/finding-overrides`)
        .set('Accept', 'application/json')
        .set('X-CSRF-Token', token)
        .send({ finding: error.id, reason: 'Agreed with the supplier' })
        .expect(200);
    };
    await override();

    const after = (await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean())!;
    expect(after.version).to.equal(ticket.version + 1);
    await eventually(
      () => activity.some((a) => a.ticketId === String(ticket._id) && a.version === after.version),
      5000,
      'ticket:activity at the second viewer',
    );
    await eventually(
      () => changed.some((c) => c.id === String(ticket._id) && c.version === after.version),
      5000,
      'ticket:changed in the queues',
    );

    // The same override again (a retry after a crash): answered, the version not bumped again.
    await override();
    await sleep(200);
    const again = (await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean())!;
    expect(again.version).to.equal(after.version);
    expect(again.findingOverrides).to.deep.equal([error.id]);
  });

  it('an override stopped after its row was stored is completed by sending it again: the version bumped once', async () => {
    const { ticket, error } = await einvoiceWithError();
    const leadUser = await makeUser({ role: 'team_lead', tenantIds: [world.acme.id], locale: 'en' });
    const reason = 'Checked with the supplier';
    // The first sending stored the override on the file's row, then the process stopped.
    await EInvoiceRecord.updateOne(
      { tenantId: world.acme._id, ticketId: ticket._id },
      {
        $set: {
          [`overrides.${error.id}`]: {
            by: { id: String(leadUser._id), name: leadUser.name },
            at: new Date(),
            reason,
            rule: error.rule,
          },
        },
      },
    );
    const { cookie } = await signInForCookie(tp.url, world.users.operatorAcme.email);
    const viewer = await openSocket(tp.url, { cookie });
    sockets.push(viewer);
    const activity = record<{ ticketId: string; version: number }>(viewer, 'ticket:activity');
    await ask<TicketWatchView>(viewer, 'ticket:watch', { ref: ticket.number });

    const lead = await signedInAgent(tp.url, leadUser.email);
    const token = csrfFrom((await lead.get(`/tickets/${ticket.number}`).expect(200)).text);
    await lead
      .post(`/tickets/${ticket.number}/finding-overrides`)
      .set('Accept', 'application/json')
      .set('X-CSRF-Token', token)
      .send({ finding: error.id, reason })
      .expect(200);
    const after = (await Ticket.findOne({ _id: ticket._id, tenantId: world.acme._id }).lean())!;
    expect(after.version).to.equal(ticket.version + 1);
    expect(after.findingOverrides).to.deep.equal([error.id]);
    await eventually(
      () => activity.some((a) => a.ticketId === String(ticket._id) && a.version === after.version),
      5000,
      'ticket:activity after the completed override',
    );
  });
});
