import { expect } from 'chai';
import { Queue } from '../../../models/queue.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { makeWorld, type World } from '../../support/factories.js';
import { startTestPortal, type TestPortal } from '../../support/portal.js';
import { makeTicket } from '../../support/tickets.js';

/** Issue 16, item 4, without JavaScript: the filter form (GET, saved) and the bulk form (POST). */
describe('queue views over HTTP: sort, filter, saved, bulk', function () {
  this.timeout(60_000);
  let tp: TestPortal;
  let world: World;

  before(async () => {
    tp = await startTestPortal('queue-views');
    world = await makeWorld();
  });
  after(() => tp.stop());

  const order = (html: string, subjects: string[]) =>
    subjects.map((s) => html.indexOf(s)).filter((i) => i >= 0);

  it('sorts and filters by a plain GET form, keeps the choice for that person, and bulk-applies with a partial failure', async () => {
    const queue = await Queue.create({ name: 'Views over HTTP', key: 'views-over-http' });
    const url = `/queues/${String(queue._id)}`;
    const a1 = await makeTicket(world.users.acmeUser, world.acme, 'Alpha crate damaged');
    const a2 = await makeTicket(world.users.acmeUser, world.acme, 'Omega crate damaged');
    await makeTicket(world.users.acmeUser, world.acme, 'Something else');
    const n1 = await makeTicket(world.users.nordUser, world.nord, 'Nordic crate damaged');
    const operator = await signedInAgent(tp.url, world.users.operatorAcme.email);

    const filtered = await operator.get(`${url}?view=1&q=crate&sort=subject&dir=desc`).expect(200);
    expect(filtered.text).to.not.include('Something else').and.not.include('Nordic crate damaged');
    const seen = order(filtered.text, ['Omega crate damaged', 'Alpha crate damaged']);
    expect(seen).to.have.length(2);
    expect(seen[0]).to.be.lessThan(seen[1]!);
    // The headers sort too: the sorted column says so, and its link keeps the filter and turns the direction.
    const subjectHeader = /<th aria-sort="descending"><a href="([^"]+)"[^>]*data-sort="subject"/.exec(
      filtered.text,
    );
    expect(subjectHeader, 'the subject header, sorted descending').to.not.equal(null);
    const flip = subjectHeader![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    expect(flip).to.include('q=crate').and.include('sort=subject').and.include('dir=asc');
    const flipped = await operator.get(flip).expect(200);
    const up = order(flipped.text, ['Omega crate damaged', 'Alpha crate damaged']);
    expect(up[0]).to.be.greaterThan(up[1]!);
    expect(flipped.text).to.not.include('Something else');
    await operator.get(`${url}?view=1&q=crate&sort=subject&dir=desc`).expect(200);
    // Saved: the next plain visit shows the same choice, the form filled in.
    const again = await operator.get(url).expect(200);
    expect(again.text).to.not.include('Something else');
    expect(again.text).to.match(/name="q" value="crate"/);
    // Another person's page of the same queue is unfiltered.
    const other = await signedInAgent(tp.url, world.users.operatorBoth.email);
    expect((await other.get(url).expect(200)).text).to.include('Something else');
    // A bad choice is refused, not saved.
    await operator.get(`${url}?view=1&sort=nonsense`).expect(422);

    const res = await postForm(operator, url, `${url}/bulk`, {
      tickets: [a1.number, a2.number, n1.number],
      action: 'priority',
      priority: 'urgent',
    });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(url);
    const after = await operator.get(url).expect(200);
    expect(after.text).to.include('Done on 2 tickets.').and.include('Not done on 1 ticket:');
    expect(after.text).to.include(`data-bulk-failed="${n1.number}"`);
    expect(after.text).to.include('not a ticket of a client you serve');
    for (const t of [a1, a2]) {
      const stored = await Ticket.findOne({ _id: t._id, tenantId: t.tenantId }).lean();
      expect(stored?.priority).to.equal('urgent');
      expect(
        await TimelineEntry.countDocuments({ tenantId: t.tenantId, ticketId: t._id, kind: 'fields' }),
      ).to.equal(1);
    }
    expect((await Ticket.findOne({ _id: n1._id, tenantId: n1.tenantId }).lean())?.priority).to.equal(
      'normal',
    );
    // Shown once.
    expect((await operator.get(url).expect(200)).text).to.not.include('data-testid="bulk-result"');
    // Nothing selected: said so, nothing done.
    const none = await postForm(operator, url, `${url}/bulk`, { action: 'take' });
    expect(none.status).to.equal(302);
    expect((await operator.get(url).expect(200)).text).to.include('Select at least one ticket.');
  });
});
