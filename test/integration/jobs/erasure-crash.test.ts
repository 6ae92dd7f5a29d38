import { expect } from 'chai';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { PURGE_JOB } from '../../../jobs/maintenance.js';
import { AuditEvent } from '../../../models/audit-event.js';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { verifyAuditChain } from '../../../server/domain/audit/verify-audit-chain.js';
import { systemCtx } from '../../../server/domain/context.js';
import { decidePrivacyRequest } from '../../../server/domain/privacy/decide-privacy-request.js';
import { requestPrivacyAction } from '../../../server/domain/privacy/request-privacy-action.js';
import { createTicket } from '../../../server/domain/tickets/create.js';
import { addReply } from '../../../server/domain/tickets/replies.js';
import { postForm, signedInAgent } from '../../support/browser-session.js';
import { crashRig } from '../../support/crash-rig.js';
import { makeUser } from '../../support/factories.js';
import { mentionsOf } from '../../support/mentions.js';
import { makeSubject, tracesIn } from '../../support/privacy.js';
import { spawnPortal } from '../../support/spawned-portal.js';
import { complaintInput, ctxOf, makeAttachment, makeTicket } from '../../support/tickets.js';

const TICKETS = Number(process.env.ERASURE_CRASH_TICKETS ?? 60);
const NAME = 'Signe Kjærgaard';
const EMAIL = 'signe.kjaergaard@kunde.example';
const PHONE = '+45 21 43 65 87';
const traces = [/signe\s+kjærgaard/i, /signe\.kjaergaard@/i, /21[\s.\-/]*43[\s.\-/]*65[\s.\-/]*87/];
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (line: string): void => {
  process.stdout.write(`      [erasure-crash] ${line}\n`);
};

/**
 * Issue 20, item 4: a portal killed with -9 in the middle of an erasure it was running, and a
 * fresh portal once the run's lease has run out (moved back here instead of waiting its 10
 * minutes): the fresh portal's maintenance job takes the run over and finishes it. Nothing of the
 * person is left in any collection or file, their own files are gone, the namesake at another
 * client is untouched, the erasure is audited once and the audit chain still verifies.
 */
describe('erasure: a portal killed with -9 mid-erasure, then a fresh one', function () {
  this.timeout(300_000);
  const rig = crashRig('erasure-crash');

  it('is finished by the next portal: no trace of the person anywhere, audited once', async () => {
    const { world, uri, portals, smtp } = rig;
    const person = await makeSubject(world.acme.id, EMAIL, NAME);
    const namesake = await makeUser({ role: 'client_user', tenantId: world.nord.id, name: NAME });
    await makeTicket(namesake, world.nord, `Namesake ${NAME}`);
    const theirs = ctxOf(person, world.acme);
    const files: string[] = [];
    for (let i = 0; i < TICKETS; i += 1) {
      const ticket = await createTicket(
        theirs,
        { ...complaintInput(`Order ${i} for ${NAME}`), description: `Ring ${PHONE} or ${EMAIL}` },
        'portal',
      );
      files.push(String((await makeAttachment(person, world.acme, ticket)).fileId));
      await addReply(ctxOf(world.users.operatorAcme, world.acme), ticket.number, {
        body: `Dear ${NAME}, we are on it.`,
      });
    }
    const request = await requestPrivacyAction(ctxOf(world.users.acmeAdmin, world.acme), {
      kind: 'erasure',
      email: EMAIL,
      name: NAME,
      phone: PHONE,
    });
    const id = String(request._id);
    await decidePrivacyRequest(ctxOf(world.users.admin, null), id, { decision: 'approve' });

    const env = { MONGODB_URI: uri, JOBS_ENABLED: 'true', SMTP_URL: smtp.url, SEED_DEMO: 'false' };
    const a = await spawnPortal(env);
    portals.push(a);
    const admin = await signedInAgent(a.url, world.users.admin.email);
    const started = await postForm(admin, `/privacy/${id}`, `/privacy/${id}/run`, {});
    expect(started.status, a.output()).to.equal(302);
    // Killed once the account step is done, while tickets still name the person.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [account, row] = await Promise.all([
        User.findOne({ _id: person._id, tenantId: world.acme._id }).lean(),
        PrivacyRequest.findById(id).setOptions({ allTenants: true }).lean(),
      ]);
      if (row?.status === 'done') throw new Error('the erasure finished before the kill: raise the workload');
      if (account?.name !== NAME) {
        await a.signal('SIGKILL');
        break;
      }
      if (Date.now() > deadline) throw new Error(`the erasure never started:\n${a.output()}`);
      await wait(5);
    }
    const left = await tracesIn(traces, world.nord._id);
    note(`killed portal A with ${left.length} documents still naming the person`);
    expect(left.length, 'the kill came after the end').to.be.greaterThan(0);
    expect((await PrivacyRequest.findById(id).setOptions({ allTenants: true }).lean())?.status).to.equal(
      'running',
    );

    // Ten minutes later: the dead run's lease has run out and the maintenance job is due again.
    await PrivacyRequest.updateOne(
      { _id: id },
      { $set: { leaseUntil: new Date(Date.now() - 1000) } },
    ).setOptions({ allTenants: true });
    await mongoose.connection
      .db!.collection('agendaJobs')
      .updateOne({ name: PURGE_JOB }, { $set: { nextRunAt: new Date(), lockedAt: null } });
    const b = await spawnPortal(env);
    portals.push(b);
    const until = Date.now() + 120_000;
    while ((await PrivacyRequest.findById(id).setOptions({ allTenants: true }).lean())?.status !== 'done') {
      if (Date.now() > until) throw new Error(`portal B did not finish the erasure:\n${b.output()}`);
      await wait(250);
    }
    await b.signal('SIGTERM');

    expect(await tracesIn(traces, world.nord._id)).to.deep.equal([]);
    expect(await mentionsOf(...files), 'their files still stored').to.deep.equal({});
    const namesakes = await Ticket.find({ tenantId: world.nord._id }).lean();
    expect(namesakes.map((t) => t.subject)).to.deep.equal([`Namesake ${NAME}`]);
    expect(
      await AuditEvent.countDocuments({ action: 'privacy.erased' }).setOptions({ allTenants: true }),
    ).to.equal(1);
    expect((await verifyAuditChain(systemCtx(pino({ level: 'silent' }), 'erasure-crash'))).ok).to.equal(true);
  });
});
