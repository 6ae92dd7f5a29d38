import { expect } from 'chai';
import { Types } from 'mongoose';
import { pino } from 'pino';
import { SlaDue } from '../../../models/sla-due.js';
import { SlaEvent } from '../../../models/sla-event.js';
import { Ticket } from '../../../models/ticket.js';
import { systemCtx } from '../../../server/domain/context.js';
import { dueRows, repairSlaDueList, settleSlaDue } from '../../../server/domain/sla/due-list.js';
import { sweepSla } from '../../../server/domain/sla/sweep.js';
import { changeStatus } from '../../../server/domain/tickets/lifecycle.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { replySchema } from '../../../server/domain/tickets/schemas.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import { ctxOf, makeTicket } from '../../support/tickets.js';
import { tinyContract } from '../../support/tiny-contract.js';

const log = pino({ level: 'silent' });
const nextOf = async (id: Types.ObjectId) =>
  (
    (await Ticket.findOne({ _id: id }).setOptions({ allTenants: true }).lean())?.sla as {
      nextEventAt: Date | null;
    } | null
  )?.nextEventAt ?? null;

describe('SLA due list: the sweep reads open work only, and the list survives what a crash leaves', function () {
  this.timeout(30_000);
  let world: World;

  before(async () => {
    await connectTestDb('sla-due-list');
    world = await makeWorld();
    await tinyContract(world.acme._id, 60, 120);
  });
  after(() => dropAndDisconnect());

  it('gives a new ticket a row at its next event, and the sweep follows the clock it marks', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Due list');
    const row = await SlaDue.findById(ticket._id).lean();
    expect(row?.at.getTime()).to.equal((await nextOf(ticket._id))?.getTime());
    // Past its warning (50 % of 60 s): one event, and the row moves to the next one.
    const now = new Date(Date.now() + 31_000);
    await sweepSla(systemCtx(log, 'test'), now);
    expect(await SlaEvent.countDocuments({ tenantId: world.acme._id, ticketId: ticket._id })).to.equal(1);
    const after = await SlaDue.findById(ticket._id).lean();
    expect(after?.at.getTime())
      .to.equal((await nextOf(ticket._id))?.getTime())
      .and.to.be.greaterThan(now.getTime());
  });

  it('drops the row of a resolved ticket at its next look, and keeps a row written since it read it', async () => {
    const ticket = await makeTicket(world.users.acmeUser, world.acme, 'Resolved early');
    const staff = ctxOf(world.users.operatorBoth, null);
    await addReply(staff, ticket.number, replySchema.parse({ body: 'Done.' }));
    await changeStatus(ctxOf(world.users.operatorBoth, null), ticket.number, 'resolved');
    expect(await nextOf(ticket._id)).to.equal(null);
    // The row stays early (writers never move it later); the sweep finds nothing due and deletes it.
    expect(await SlaDue.exists({ _id: ticket._id })).to.not.equal(null);
    await sweepSla(systemCtx(log, 'test'), new Date(Date.now() + 31_000));
    expect(await SlaDue.exists({ _id: ticket._id })).to.equal(null);
    expect(await SlaEvent.countDocuments({ tenantId: world.acme._id, ticketId: ticket._id })).to.equal(0);

    // A row read, then written by someone else (new stamp): settling what was read changes nothing.
    const other = await makeTicket(world.users.acmeUser, world.acme, 'Raced');
    const [read] = (await dueRows(new Date(Date.now() + 3600_000), 1000)).filter(
      (r) => String(r._id) === String(other._id),
    );
    const earlier = new Date(Date.now() + 5_000);
    await SlaDue.updateOne(
      { _id: other._id },
      { $min: { at: earlier }, $set: { stamp: new Types.ObjectId() } },
    );
    await settleSlaDue(read as NonNullable<typeof read>, null);
    expect((await SlaDue.findById(other._id).lean())?.at.getTime()).to.equal(earlier.getTime());
  });

  it('puts back the rows a crash left missing or late, and writes nothing when the list is right', async () => {
    const missing = await makeTicket(world.users.acmeUser, world.acme, 'Row lost');
    const late = await makeTicket(world.users.acmeUser, world.acme, 'Row late');
    await SlaDue.deleteOne({ _id: missing._id });
    await SlaDue.updateOne({ _id: late._id }, { $set: { at: new Date(Date.now() + 86_400_000) } });
    expect(await repairSlaDueList(systemCtx(log, 'test'))).to.equal(2);
    for (const t of [missing, late])
      expect((await SlaDue.findById(t._id).lean())?.at.getTime()).to.equal((await nextOf(t._id))?.getTime());
    expect(await repairSlaDueList(systemCtx(log, 'test'))).to.equal(0);
  });
});
