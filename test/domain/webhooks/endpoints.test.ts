import { expect } from 'chai';
import { pino } from 'pino';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { getEndpoint, listEndpoints } from '../../../server/domain/webhooks/list-endpoints.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { rotateSecret } from '../../../server/domain/webhooks/rotate-secret.js';
import { updateEndpoint } from '../../../server/domain/webhooks/update-endpoint.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e as { code?: string }).code,
  );

/** Issue 19, item 1: client admins manage their company's endpoints, provider admins any client's. */
describe('webhook endpoints (domain)', () => {
  let world: World;
  before(async () => {
    await connectTestDb('webhook-endpoints');
    world = await makeWorld();
  });
  after(async () => {
    await dropAndDisconnect();
  });

  const input = (url: string, tenantId?: string) => ({
    url,
    description: 'ERP',
    events: ['ticket.created' as const],
    orderedPerTicket: false,
    ...(tenantId ? { tenantId } : {}),
  });

  it('keeps each company’s endpoints, events and secrets to itself', async () => {
    const acme = ctxOf(world.users.acmeAdmin, world.acme);
    const nord = ctxOf(world.users.nordAdmin, world.nord);
    const mine = await registerEndpoint(acme, input('https://erp.acme.example/hooks'));
    const theirs = await registerEndpoint(nord, input('https://erp.nord.example/hooks'));
    expect(mine.tenantId).to.equal(String(world.acme._id));
    // A client admin naming another company still only reaches their own: not found.
    expect(
      await codeOf(registerEndpoint(nord, input('https://x.example/h', String(world.acme._id)))),
    ).to.equal('not_found');
    expect((await listEndpoints(acme)).map((e) => e.id)).to.deep.equal([mine.id]);
    expect((await listEndpoints(nord)).map((e) => e.id)).to.deep.equal([theirs.id]);
    expect(JSON.stringify(await listEndpoints(acme))).not.to.contain('whsec_');
    expect(await codeOf(getEndpoint(nord, mine.id))).to.equal('not_found');
    expect(await codeOf(updateEndpoint(nord, mine.id, { state: 'disabled' }))).to.equal('not_found');
    expect(await codeOf(rotateSecret(nord, mine.id))).to.equal('not_found');
    // Client users and staff other than provider admins manage none.
    expect(await codeOf(listEndpoints(ctxOf(world.users.acmeUser, world.acme)))).to.equal('forbidden');
    expect(await codeOf(listEndpoints(ctxOf(world.users.teamLead, null)))).to.equal('forbidden');
    // A provider admin manages any client's, naming it.
    const admin = ctxOf(world.users.admin, null);
    expect(await codeOf(registerEndpoint(admin, input('https://x.example/h')))).to.equal('validation');
    const byAdmin = await registerEndpoint(
      admin,
      input('https://erp2.nord.example/hooks', String(world.nord._id)),
    );
    expect(byAdmin.tenantId).to.equal(String(world.nord._id));
    expect((await listEndpoints(admin)).map((e) => e.id).sort()).to.deep.equal(
      [mine.id, theirs.id, byAdmin.id].sort(),
    );
    expect((await listEndpoints(admin, { tenantId: String(world.nord._id) })).length).to.equal(2);
    // An acme ticket is an event of acme's endpoint only.
    await makeTicket(world.users.acmeUser, world.acme, 'Isolation');
    await sweepMissedWebhookEvents(systemCtx(pino({ level: 'silent' }), 'test'));
    const rows = await WebhookEvent.find({}).setOptions({ allTenants: true }).lean();
    expect(rows.map((r) => String(r.endpointId))).to.deep.equal([mine.id]);
    expect(rows.every((r) => String(r.tenantId) === String(world.acme._id))).to.equal(true);
  });

  it('updates an endpoint: events, order, disable and enable again (health reset)', async () => {
    const acme = ctxOf(world.users.acmeAdmin, world.acme);
    const ep = await registerEndpoint(acme, input('https://erp.acme.example/other'));
    const off = await updateEndpoint(acme, ep.id, { state: 'disabled' });
    expect(off.state).to.equal('disabled');
    expect(off.disabledReason).to.equal('admin');
    const on = await updateEndpoint(acme, ep.id, {
      state: 'active',
      events: ['ticket.created', 'ticket.sla_breach'],
      orderedPerTicket: true,
    });
    expect(on).to.include({ state: 'active', orderedPerTicket: true, disabledReason: null });
    expect(on.events).to.deep.equal(['ticket.created', 'ticket.sla_breach']);
    expect(await codeOf(updateEndpoint(acme, ep.id, { url: 'http://erp.acme.example/x' }))).to.equal(
      'validation',
    );
  });
});
