import { Types } from 'mongoose';
import { Attachment } from '../../../models/attachment.js';
import { AuthToken } from '../../../models/auth-token.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { PrivacyRequest, type PrivacyRequestAttrs } from '../../../models/privacy-request.js';
import { SentMail } from '../../../models/sent-mail.js';
import { Ticket } from '../../../models/ticket.js';
import { User } from '../../../models/user.js';
import { unscopedCollection } from '../../db/scoped-collection.js';
import { AppError } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import { forgetThrottlesOf } from '../auth/throttle.js';
import type { Ctx } from '../context.js';
import { activeHolds, isHeld } from '../retention/active-holds.js';
import { removeAttachment } from '../retention/ticket-data.js';
import { findPerson, type PersonFootprint } from './find-person.js';
import { personPattern, type Pseudonyms } from './person-pattern.js';
import { privacyRequestOf } from './privacy-tenant.js';
import { scrubCollections, scrubProviderAudit } from './scrub-collections.js';

/** How long a run holds its request: past it, the sweep takes over a run a crash cut short. */
export const ERASURE_LEASE_MS = 10 * 60_000;

/** The erasure's work list, stored on the request when it starts (ids as strings: a Mixed field). */
interface ErasurePlan {
  identifiers: PersonFootprint['identifiers'];
  userIds: string[];
  ticketIds: string[];
  keptTicketIds: string[];
  pseudonyms: Pseudonyms;
}

interface Claimed {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  plan: ErasurePlan;
}
const claimedOf = (row: { _id: Types.ObjectId; tenantId: Types.ObjectId; plan?: unknown }): Claimed => ({
  _id: row._id,
  tenantId: row.tenantId,
  plan: row.plan as ErasurePlan,
});

const ids = (values: string[]) => values.map((v) => new Types.ObjectId(v));

/** The pseudonyms of one erasure: the same on every run of it, and telling erasures apart. */
function pseudonymsOf(requestId: Types.ObjectId): Pseudonyms {
  const tag = String(requestId).slice(-6);
  return { email: `erased-${tag}@erased.invalid`, name: `[erased ${tag}]`, phone: '[erased]' };
}

/** Refuses while anything of the person is under a legal hold: nothing held is erased until released. */
async function assertNotHeld(ctx: Ctx, tenantId: Types.ObjectId, footprint: PersonFootprint): Promise<void> {
  const holds = await activeHolds(ctx, String(tenantId));
  const files = await Attachment.find(
    { tenantId, ticketId: { $in: footprint.ticketIds } },
    { ticketId: 1 },
  ).lean();
  const held = footprint.ticketIds.filter((id) =>
    isHeld(
      holds,
      String(id),
      files.filter((f) => f.ticketId.equals(id)).map((f) => String(f._id)),
    ),
  );
  if (!holds.tenant && held.length === 0) return;
  const numbers = (await Ticket.find({ tenantId, _id: { $in: held } }, { number: 1 }).lean()).map(
    (t) => t.number,
  );
  throw new AppError('conflict', 'under legal hold', {
    messageKey: holds.tenant ? 'privacy.errors.client_held' : 'privacy.errors.held',
    params: { tickets: numbers.join(', ') },
  });
}

/** Step 1: the accounts: pseudonymised, disabled, signed out everywhere, their links and sessions gone. */
async function eraseAccounts(tenantId: Types.ObjectId, plan: ErasurePlan): Promise<number> {
  const sessions = unscopedCollection('sessions', 'login sessions (connect-mongo) of the erased accounts');
  for (const userId of ids(plan.userIds)) {
    await User.updateOne(
      { _id: userId, tenantId },
      {
        $set: {
          email: `erased-${String(userId)}@erased.invalid`,
          name: plan.pseudonyms.name,
          status: 'disabled',
          passwordHash: null,
          locale: null,
          lastLoginAt: null,
        },
        $inc: { sessionVersion: 1 },
      },
    );
    await AuthToken.deleteMany({ userId });
    await sessions?.deleteMany({ session: { $regex: String(userId) } });
  }
  return plan.userIds.length;
}

/** Step 2: their mail: queued and sent copies deleted (before the addresses are pseudonymised, and after). */
async function eraseMail(tenantId: Types.ObjectId, plan: ErasurePlan): Promise<number> {
  const to = { $in: [...plan.identifiers.emails, plan.pseudonyms.email] };
  const outbox = await OutboxMail.deleteMany({ tenantId, to });
  const sent = await SentMail.deleteMany({ tenantId, to });
  for (const email of plan.identifiers.emails) await forgetThrottlesOf(email);
  return outbox.deletedCount + sent.deletedCount;
}

/**
 * Step 3: their tickets: the ones kept under a legal obligation restricted, the files the person
 * sent to the others deleted (bytes first, then the row), every ticket's requester pseudonymised.
 */
async function eraseTickets(tenantId: Types.ObjectId, plan: ErasurePlan): Promise<number> {
  const kept = ids(plan.keptTicketIds);
  if (kept.length)
    await Ticket.updateMany(
      { tenantId, _id: { $in: kept }, restrictedAt: null },
      { $set: { restrictedAt: new Date() } },
    );
  const erasable = ids(plan.ticketIds.filter((id) => !plan.keptTicketIds.includes(id)));
  const theirs = [
    { 'uploadedBy.id': { $in: ids(plan.userIds) } },
    { 'uploadedBy.name': { $in: [...plan.identifiers.names, plan.pseudonyms.name] } },
  ];
  const files = await Attachment.find(
    { tenantId, ticketId: { $in: erasable }, $or: theirs },
    { fileId: 1 },
  ).lean();
  for (const file of files) await removeAttachment(tenantId, file);
  await Ticket.updateMany(
    { tenantId, _id: { $in: ids(plan.ticketIds) }, 'requester.email': { $in: plan.identifiers.emails } },
    { $set: { 'requester.email': plan.pseudonyms.email, 'requester.name': plan.pseudonyms.name } },
  );
  return files.length;
}

/**
 * Carries out a claimed erasure, every step idempotent so a run cut short is finished by running it
 * again (the sweep): accounts, mail, tickets, then every collection searched for the person's
 * identifiers. The audit entry (by a key: written once) comes before the request is marked done,
 * whose update also forgets the person: the request keeps the pseudonym and the counts only.
 */
async function carryOut(ctx: Ctx, request: Claimed): Promise<void> {
  const plan = request.plan;
  const tenantId = request.tenantId;
  const pattern = personPattern(plan.identifiers);
  const result: Record<string, number> = {
    accounts: await eraseAccounts(tenantId, plan),
    mails: await eraseMail(tenantId, plan),
    files: await eraseTickets(tenantId, plan),
    restricted: plan.keptTicketIds.length,
  };
  if (pattern) {
    const changed = await scrubCollections(tenantId, pattern, plan.pseudonyms, new Set(plan.keptTicketIds));
    for (const [name, n] of Object.entries(changed)) result[`changed.${name}`] = n;
    result.providerAudit = await scrubProviderAudit(plan.identifiers.emails, plan.pseudonyms);
  }
  await recordAudit(ctx, {
    action: 'privacy.erased',
    key: `privacy.erased:${String(request._id)}`,
    tenantId: String(tenantId),
    targetId: String(request._id),
    details: {
      request: String(request._id),
      tickets: plan.ticketIds.length,
      restricted: plan.keptTicketIds.length,
    },
  });
  await PrivacyRequest.updateOne(
    { _id: request._id, tenantId, status: 'running' },
    {
      $set: {
        status: 'done',
        doneAt: new Date(),
        leaseUntil: null,
        plan: null,
        result,
        subject: { email: plan.pseudonyms.email, name: plan.pseudonyms.name, phone: '' },
        note: '',
        openKey: `closed:${String(request._id)}`,
      },
    },
  );
}

/** Claims an approved erasure (one conditional update: of two admins at once, one runs it). */
async function claim(
  ctx: Ctx,
  request: Pick<PrivacyRequestAttrs, 'tenantId' | 'subject'> & { _id: Types.ObjectId },
): Promise<Claimed> {
  const footprint = await findPerson(ctx, request.tenantId, request.subject);
  await assertNotHeld(ctx, request.tenantId, footprint);
  const plan: ErasurePlan = {
    identifiers: footprint.identifiers,
    userIds: footprint.userIds.map(String),
    ticketIds: footprint.ticketIds.map(String),
    keptTicketIds: footprint.keptTicketIds.map(String),
    pseudonyms: pseudonymsOf(request._id),
  };
  const now = new Date();
  const claimed = await PrivacyRequest.findOneAndUpdate(
    { _id: request._id, tenantId: request.tenantId, status: 'approved' },
    {
      $set: {
        status: 'running',
        plan,
        startedAt: now,
        leaseUntil: new Date(now.getTime() + ERASURE_LEASE_MS),
      },
    },
    { returnDocument: 'after' },
  ).lean();
  if (!claimed) throw new AppError('conflict', 'started meanwhile', { messageKey: 'privacy.errors.decided' });
  return claimedOf(claimed);
}

/**
 * The first step of a run: an approved erasure checked against legal holds and claimed, its work
 * list fixed. What follows it is `carryOut`; a process that dies between leaves it to the sweep.
 */
export async function claimErasure(ctx: Ctx, requestId: string): Promise<Claimed> {
  requirePermission(ctx, 'privacy.run');
  const request = await privacyRequestOf(ctx, requestId);
  if (request.kind !== 'erasure' || request.status !== 'approved')
    throw new AppError('conflict', 'not an approved erasure', { messageKey: 'privacy.errors.not_runnable' });
  return claim(ctx, request);
}

/** An admin runs an approved erasure. Refused while the person's data is under a legal hold. */
export async function erasePerson(ctx: Ctx, requestId: string): Promise<void> {
  await carryOut(ctx, await claimErasure(ctx, requestId));
}

/**
 * The page's "erase now": claimed at once (a refusal, a hold, is told right away), then carried
 * out in the background, since searching every collection of a large client takes longer than a
 * request should. A run that fails or dies midway keeps its lease and the sweep finishes it.
 */
export async function startErasure(ctx: Ctx, requestId: string): Promise<void> {
  const claimed = await claimErasure(ctx, requestId);
  void carryOut(ctx, claimed).catch((err: unknown) =>
    ctx.log.error({ err, request: requestId }, 'erasure stopped; the maintenance sweep finishes it'),
  );
}

/**
 * The sweep: erasures whose run stopped before the end (the process died) and whose lease ran
 * out are taken over, each by a conditional update on the lease it saw, and finished.
 */
export async function finishInterruptedErasures(ctx: Ctx, now = new Date()): Promise<number> {
  const stale = await PrivacyRequest.find(
    { status: 'running', leaseUntil: { $lt: now } },
    { _id: 1, leaseUntil: 1 },
  )
    .setOptions({ allTenants: true })
    .lean();
  let finished = 0;
  for (const row of stale) {
    const taken = await PrivacyRequest.findOneAndUpdate(
      { _id: row._id, status: 'running', leaseUntil: row.leaseUntil },
      { $set: { leaseUntil: new Date(now.getTime() + ERASURE_LEASE_MS) } },
      { returnDocument: 'after' },
    )
      .setOptions({ allTenants: true })
      .lean();
    if (!taken) continue;
    await carryOut(ctx, claimedOf(taken));
    finished++;
  }
  return finished;
}
