import { expect } from 'chai';
import type { Types } from 'mongoose';
import { QueueView } from '../../../models/queue-view.js';
import { Ticket } from '../../../models/ticket.js';
import { TimelineEntry } from '../../../models/timeline-entry.js';
import { bulkInputSchema, bulkUpdate } from '../../../server/domain/queues/bulk-update.js';
import { takeTicket } from '../../../server/domain/queues/claims.js';
import { createQueue, queueInputSchema } from '../../../server/domain/queues/queues.js';
import {
  getQueueView,
  queueViewInputSchema,
  saveQueueView,
} from '../../../server/domain/queues/save-queue-view.js';
import { queueTickets } from '../../../server/domain/queues/views.js';
import { t } from '../../../server/i18n/i18n.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';

/** Issue 16, item 4: bulk actions on queue rows and a queue view saved per person. */
describe('queue bulk actions and saved views', function () {
  this.timeout(30_000);
  let world: World;
  before(async () => {
    await connectTestDb('queue-bulk-views');
    world = await makeWorld();
  });
  after(dropAndDisconnect);

  type Ref = { _id: Types.ObjectId; tenantId: Types.ObjectId };
  const storedOf = (ticket: Ref) => Ticket.findOne({ _id: ticket._id, tenantId: ticket.tenantId }).lean();
  const entriesOf = (ticket: Ref) =>
    TimelineEntry.find({ tenantId: ticket.tenantId, ticketId: ticket._id }).sort({ at: 1 }).lean();

  it('applies to the tickets in scope and names the others with the reason, in the reader language', async () => {
    const a1 = await makeTicket(world.users.acmeUser, world.acme, 'Bulk one');
    const a2 = await makeTicket(world.users.acmeUser, world.acme, 'Bulk two');
    const n1 = await makeTicket(world.users.nordUser, world.nord, 'Other tenant by id');
    const n2 = await makeTicket(world.users.nordUser, world.nord, 'Other client by number');
    const operator = ctxOf(world.users.operatorAcme, null);
    const refs = [a1.number, String(n1._id), String(a2._id), n2.number];
    const result = await bulkUpdate(
      operator,
      refs,
      bulkInputSchema.parse({ action: 'priority', priority: 'high' }),
    );
    expect(result.done).to.deep.equal([a1.number, a2.number]);
    expect(result.failed.map((f) => [f.ref, f.number, f.messageKey])).to.deep.equal([
      [String(n1._id), null, 'queue_views.bulk_not_found'],
      [n2.number, null, 'queue_views.bulk_not_found'],
    ]);
    expect(t('it', result.failed[0]!.messageKey)).to.match(/cliente che segui/);
    expect(t('da', result.failed[0]!.messageKey)).to.match(/kunde, du betjener/);
    for (const ok of [a1, a2]) {
      expect((await storedOf(ok))?.priority).to.equal('high');
      const fields = (await entriesOf(ok)).filter((e) => e.kind === 'fields');
      expect(fields, 'one timeline entry per ticket').to.have.length(1);
    }
    for (const other of [n1, n2]) {
      expect((await storedOf(other))?.priority).to.equal('normal');
      expect((await entriesOf(other)).filter((e) => e.kind === 'fields')).to.have.length(0);
    }
  });

  it('take: a ticket someone else has fails with who has it; the rest become mine', async () => {
    const a1 = await makeTicket(world.users.acmeUser, world.acme, 'Take one');
    const a2 = await makeTicket(world.users.acmeUser, world.acme, 'Take two');
    await takeTicket(ctxOf(world.users.operatorBoth, null), a2.number);
    const operator = ctxOf(world.users.operatorAcme, null);
    const result = await bulkUpdate(
      operator,
      [a1.number, a2.number],
      bulkInputSchema.parse({ action: 'take' }),
    );
    expect(result.done).to.deep.equal([a1.number]);
    expect(result.failed).to.have.length(1);
    expect(result.failed[0]).to.include({ ref: a2.number, number: a2.number, messageKey: 'queues.taken_by' });
    expect(String((await storedOf(a1))?.assignee?.id)).to.equal(String(world.users.operatorAcme._id));
    const claimed = (await entriesOf(a1)).filter((e) => e.kind === 'assignment');
    expect(claimed.map((e) => (e.data as { action: string }).action)).to.deep.equal(['claimed']);
  });

  it('status, tags and release go through the per-ticket rules (an operator cannot release another one)', async () => {
    const a1 = await makeTicket(world.users.acmeUser, world.acme, 'Status one');
    const a2 = await makeTicket(world.users.acmeUser, world.acme, 'Status two');
    const operator = ctxOf(world.users.operatorAcme, null);
    await bulkUpdate(operator, [a1.number, a2.number], bulkInputSchema.parse({ action: 'take' }));
    const tagged = await bulkUpdate(
      operator,
      [a1.number, a2.number],
      bulkInputSchema.parse({ action: 'tags', addTags: 'vip, Urgent-Check', removeTags: '' }),
    );
    expect(tagged.failed).to.deep.equal([]);
    expect((await storedOf(a1))?.tags).to.deep.equal(['vip', 'urgent-check']);
    const untagged = await bulkUpdate(
      operator,
      [a1.number],
      bulkInputSchema.parse({ action: 'tags', removeTags: 'vip' }),
    );
    expect(untagged.done).to.deep.equal([a1.number]);
    expect((await storedOf(a1))?.tags).to.deep.equal(['urgent-check']);
    const resolved = await bulkUpdate(
      operator,
      [a1.number, a2.number],
      bulkInputSchema.parse({ action: 'status', status: 'resolved' }),
    );
    expect(resolved.done).to.deep.equal([a1.number, a2.number]);
    expect((await storedOf(a2))?.status).to.equal('resolved');
    const other = ctxOf(world.users.operatorBoth, null);
    const released = await bulkUpdate(other, [a1.number], bulkInputSchema.parse({ action: 'release' }));
    expect(released.done).to.deep.equal([]);
    expect(released.failed[0]?.messageKey).to.equal('errors.forbidden');
  });

  it('saves one view per person and queue, and the queue page follows it', async () => {
    const lead = ctxOf(world.users.teamLead, null);
    const queue = await createQueue(lead, queueInputSchema.parse({ name: 'Views test', tenantIds: [] }));
    const queueId = String(queue._id);
    const operator = ctxOf(world.users.operatorBoth, null);
    expect((await getQueueView(operator, queueId)).sort).to.equal(null);
    await makeTicket(world.users.acmeUser, world.acme, 'Zebra pallet missing');
    await makeTicket(world.users.nordUser, world.nord, 'Aardvark pallet missing');
    await makeTicket(world.users.nordUser, world.nord, 'Unrelated invoice');
    const input = queueViewInputSchema.parse({
      sort: 'subject',
      dir: 'desc',
      q: 'PALLET',
      type: '',
      slaState: '',
    });
    const saved = await saveQueueView(operator, queueId, input);
    expect(saved).to.include({
      sort: 'subject',
      dir: 'desc',
      q: 'PALLET',
      tenantId: '',
      assignee: 'unassigned',
    });
    expect(await getQueueView(operator, queueId)).to.deep.equal(saved);
    // The other operator's view of the same queue is their own.
    expect((await getQueueView(ctxOf(world.users.operatorAcme, null), queueId)).q).to.equal('');
    const { tickets } = await queueTickets(operator, queueId, saved);
    expect(tickets.map((r) => r.subject)).to.deep.equal(['Zebra pallet missing', 'Aardvark pallet missing']);
    const narrowed = await saveQueueView(
      operator,
      queueId,
      queueViewInputSchema.parse({ ...input, tenantId: String(world.nord._id) }),
    );
    expect((await queueTickets(operator, queueId, narrowed)).tickets.map((r) => r.subject)).to.deep.equal([
      'Aardvark pallet missing',
    ]);
    expect(
      await QueueView.countDocuments({ userId: world.users.operatorBoth._id, queueId: queue._id }),
    ).to.equal(1);
    // A client the operator does not serve is refused.
    let refused: unknown = null;
    await saveQueueView(
      ctxOf(world.users.operatorAcme, null),
      queueId,
      queueViewInputSchema.parse({ tenantId: String(world.nord._id) }),
    ).catch((err: unknown) => (refused = err));
    expect((refused as { code?: string } | null)?.code).to.equal('validation');
  });
});
