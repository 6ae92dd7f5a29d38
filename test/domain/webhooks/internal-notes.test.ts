import { expect } from 'chai';
import { pino } from 'pino';
import { WebhookEvent } from '../../../models/webhook-event.js';
import { systemCtx } from '../../../server/domain/context.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { replySchema } from '../../../server/domain/tickets/schemas.js';
import { sweepMissedWebhookEvents } from '../../../server/domain/webhooks/record-events.js';
import { registerEndpoint } from '../../../server/domain/webhooks/register-endpoint.js';
import { configureWebhooks } from '../../../server/domain/webhooks/settings.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

const sys = () => systemCtx(pino({ level: 'silent' }), 'webhooks-test');

/**
 * Issue #19 item 1: a client's endpoint hears of "public reply added", never of an internal
 * note (the staff's words the client does not see), by the fast path or the sweep.
 */
describe('webhook events: public replies only', function () {
  this.timeout(30_000);
  let world: World;
  before(async () => {
    await connectTestDb('webhooks-internal');
    world = await makeWorld();
    configureWebhooks({ allowHosts: ['127.0.0.1'] });
  });
  after(async () => {
    configureWebhooks({ allowHosts: [] });
    await dropAndDisconnect();
  });

  it('writes a reply_added event for a public reply and none for an internal note', async () => {
    const ep = await registerEndpoint(ctxOf(world.users.acmeAdmin, world.acme), {
      url: 'http://127.0.0.1:9/replies',
      description: 'replies',
      events: ['ticket.reply_added'],
      orderedPerTicket: false,
    });
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Notes and replies');
    const staff = ctxOf(world.users.operatorBoth, null);
    await addReply(staff, ticket.number, replySchema.parse({ body: 'Only for us.', internal: true }));
    await sweepMissedWebhookEvents(sys());
    const events = () =>
      WebhookEvent.find({ tenantId: world.acme._id, endpointId: ep.id }).lean<Array<{ payload: string }>>();
    expect(await events()).to.deep.equal([]);
    await addReply(staff, ticket.number, replySchema.parse({ body: 'We are on it.' }));
    await sweepMissedWebhookEvents(sys());
    const written = await events();
    expect(written).to.have.length(1);
    expect(written[0]?.payload).not.to.contain('Only for us.');
  });
});
