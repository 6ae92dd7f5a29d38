import { expect } from 'chai';
import type { UserDoc } from '../../../models/user.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import type { ClaimResult } from '../../../server/realtime/events.js';
import { makeWorld, makeUser, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { ask, openSocket, signInForCookie, type ClientSocket } from '../../support/realtime.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Many operators pressing Take / Get next over sockets at the same moment. */
describe('real-time: concurrent claims over sockets', function () {
  this.timeout(180_000);
  let tp: TestPortal;
  let world: World;
  let operators: UserDoc[];
  let sockets: ClientSocket[] = [];

  /** Sign everyone in through the login form, a few at a time, and open one socket each. */
  async function socketsOf(users: UserDoc[]): Promise<ClientSocket[]> {
    const out: ClientSocket[] = new Array(users.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        while (next < users.length) {
          const i = next++;
          const { cookie } = await signInForCookie(tp.url, (users[i] as UserDoc).email);
          out[i] = await openSocket(tp.url, { cookie });
        }
      }),
    );
    return out;
  }

  before(async () => {
    tp = await startTestPortal('rt-claims');
    world = await makeWorld();
    operators = [];
    for (let i = 0; i < 50; i++)
      operators.push(
        await makeUser({
          role: 'operator',
          tenantIds: [world.acme.id],
          name: `Operator ${String(i).padStart(2, '0')}`,
        }),
      );
    sockets = await socketsOf(operators);
  });
  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await tp?.stop();
  });

  it('50 operators take the same ticket at once: exactly one wins, 49 are told who', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Everyone wants this one');
    const answers = await Promise.all(
      sockets.map((s) => ask<ClaimResult>(s, 'ticket:take', { ref: ticket.number })),
    );
    const winners = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.data);
    expect(winners).to.have.length(1);
    const winner = operators[winners[0]?.i ?? -1] as UserDoc;
    expect(winners[0]?.a.data?.ticket.assignee?.id).to.equal(winner.id);
    const losers = answers.filter((a) => a.error);
    expect(losers).to.have.length(49);
    for (const loser of losers) {
      expect(loser.error?.code).to.equal('conflict');
      expect(loser.error?.message).to.include(winner.name);
    }
  });

  it('20 operators press Get next over 20 waiting tickets: 20 different tickets', async () => {
    const queue = await createQueue(
      ctxOf(world.users.admin, null),
      queueInputSchema.parse({
        name: `Next race ${Date.now()}`,
        tenantIds: [world.acme.id],
        order: 'oldest',
      }),
    );
    const waiting = [];
    for (let i = 0; i < 20; i++)
      waiting.push(await makeTicket(world.users.acmeUser, world.acme, `Waiting ${i}`));
    const twenty = sockets.slice(0, 20);
    const answers = await Promise.all(
      twenty.map((s) => ask<ClaimResult | null>(s, 'ticket:next', { queueId: String(queue._id) })),
    );
    const ids = answers.map((a) => a.data?.ticket.id);
    expect(answers.filter((a) => a.error)).to.deep.equal([]);
    expect(ids.every(Boolean)).to.equal(true);
    expect(new Set(ids).size).to.equal(20);
    expect([...new Set(ids)].sort()).to.deep.equal(waiting.map((t) => String(t._id)).sort());
    // Each ticket went to the operator whose socket asked for it.
    answers.forEach((a, i) => expect(a.data?.ticket.assignee?.id).to.equal((operators[i] as UserDoc).id));
    // Nothing left: the next press says so with null, not an error.
    const empty = await ask<ClaimResult | null>(sockets[20] as ClientSocket, 'ticket:next', {
      queueId: String(queue._id),
    });
    expect(empty).to.deep.equal({ data: null });
  });

  it('release over the socket gives the ticket back; a stranger cannot release it', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Release me');
    const [owner, other] = sockets as [ClientSocket, ClientSocket];
    expect(
      (await ask<ClaimResult>(owner, 'ticket:take', { ref: ticket.number })).data?.ticket.assignee?.id,
    ).to.equal(operators[0]?.id);
    expect((await ask(other, 'ticket:release', { ref: ticket.number })).error?.code).to.equal('forbidden');
    const released = await ask<ClaimResult>(owner, 'ticket:release', { ref: ticket.number });
    expect(released.data?.ticket.assignee).to.equal(null);
  });
});
