import { expect } from 'chai';
import { RetentionPolicy } from '../../../models/retention-policy.js';
import { Ticket } from '../../../models/ticket.js';
import { crashRig } from '../../support/crash-rig.js';
import { mentionsOf } from '../../support/mentions.js';
import { spawnPortal } from '../../support/spawned-portal.js';
import { makeAttachment, makeTicket } from '../../support/tickets.js';

const TICKETS = 120;
const DAY = 86_400_000;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (line: string): void => {
  process.stdout.write(`      [purge-crash] ${line}\n`);
};

/**
 * Issue 20: a portal killed with -9 in the middle of the retention purge, and a fresh one on the
 * same database: every expired ticket ends up gone from every collection and GridFS, nothing
 * half deleted is left, and what had not expired is untouched.
 */
describe('retention purge: a worker killed with -9 mid-purge, then a fresh one', function () {
  this.timeout(300_000);
  const rig = crashRig('purge-crash');

  it('finishes the purge: nothing of the expired tickets left anywhere, the rest intact', async () => {
    const { world, uri, portals, smtp } = rig;
    const tenantId = world.acme._id;
    await RetentionPolicy.create({
      tenantId,
      country: 'IT',
      rules: [
        { kind: 'tickets', years: 1, months: 0, start: 'ticket_closed' },
        { kind: 'attachments', years: 1, months: 0, start: 'ticket_closed' },
      ],
    });
    const expired: string[] = [];
    for (let i = 0; i < TICKETS; i += 1) {
      const ticket = await makeTicket(world.users.acmeUser, world.acme, `Old ${i}`);
      const file = await makeAttachment(world.users.acmeUser, world.acme, ticket);
      expired.push(String(ticket._id), String(file.fileId));
    }
    await Ticket.updateMany(
      { tenantId },
      { $set: { status: 'closed', closedAt: new Date(Date.now() - 800 * DAY) } },
    );
    const kept = await makeTicket(world.users.acmeUser, world.acme, 'Recent');
    const keptFile = await makeAttachment(world.users.acmeUser, world.acme, kept);
    await Ticket.updateOne({ _id: kept._id, tenantId }, { $set: { status: 'closed', closedAt: new Date() } });

    const env = { MONGODB_URI: uri, JOBS_ENABLED: 'true', RETENTION_PURGE_SECONDS: '1', SMTP_URL: smtp.url };
    const a = await spawnPortal(env);
    portals.push(a);
    // Kill at the first sign of the purge: a batch marked, or tickets already gone.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [marked, left] = await Promise.all([
        Ticket.countDocuments({ tenantId, purgingAt: { $ne: null } }),
        Ticket.countDocuments({ tenantId }),
      ]);
      if (marked > 0 || left < TICKETS + 1) {
        await a.signal('SIGKILL');
        note(`killed portal A with ${marked} tickets marked and ${left - 1} of ${TICKETS} expired left`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the purge never started:\n${a.output()}`);
      await wait(10);
    }
    const b = await spawnPortal(env);
    portals.push(b);
    const until = Date.now() + 120_000;
    while ((await Ticket.countDocuments({ tenantId })) > 1) {
      if (Date.now() > until) throw new Error(`portal B did not finish the purge:\n${b.output()}`);
      await wait(250);
    }
    await b.signal('SIGTERM');
    expect(await Ticket.countDocuments({ tenantId, purgingAt: { $ne: null } })).to.equal(0);
    expect(await mentionsOf(...expired), 'ids of purged tickets and files still stored').to.deep.equal({});
    const still = await mentionsOf(kept._id, keptFile.fileId);
    expect(still[String(kept._id)]).to.include.members(['tickets', 'timelineentries', 'attachments']);
    expect(still[String(keptFile.fileId)]).to.include.members(['attachments.files', 'attachments.chunks']);
  });
});
