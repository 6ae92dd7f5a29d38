import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { MailKey } from '../../../models/mail-key.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { coalescedInsert } from '../../db/coalesced-insert.js';
import { GroupCommit } from '../../db/group-commit.js';
import { crossTenant, scopedCollection, unscopedCollection } from '../../db/scoped-collection.js';
import type { Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { domainEvents } from '../events.js';
import { sendRendered, type MailTemplate } from './mailer.js';

export interface OutboxInput {
  /** Names the event: the same key never queues a second mail, also long after it was sent. */
  key: string;
  tenantId: string | null;
  to: string;
  locale: Locale;
  template: MailTemplate;
  params: Record<string, string>;
  headers?: Record<string, string>;
  replyTo?: string | null;
  /**
   * The key names something created in this same operation (a new ticket's id), so no mail can
   * have been queued with it: its `MailKey` row is written when the mail leaves the outbox (as
   * for every row), and queueing takes one insert instead of two.
   */
  newKey?: boolean;
}

/**
 * maxAttempts: attempts before a mail is given up (`failed`); lockMs: how long a claimed row
 * belongs to its run (a run that dies leaves it to the next one after that); claimBatch: rows
 * one run claims at a time (each batch must be sent well within lockMs); maxMissedClaims: claims
 * in a row that may miss a due row before it is set aside (`stuck`: not reachable by its _id).
 */
export const outboxPolicy = {
  maxAttempts: 8,
  lockMs: 60_000,
  baseBackoffMs: 5_000,
  claimBatch: 50,
  maxMissedClaims: 5,
} as const;

const isDuplicateKey = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

/** Keys of rows this process could neither finish nor mark `stuck`: left out of its claims. */
const unmovable = new Set<string>();
/** Due rows the claims of this process missed, by key, with how many times in a row. */
const missedClaims = new Map<string, number>();

/** Mail queued by concurrent requests goes in one insert per collection (group commit). */
const mailKeys = unscopedCollection(
  MailKey,
  'event keys are global (the key names its ticket): the collection holds no tenantId',
);
/** Queued rows carry their tenant (null: provider mail); the worker drains every tenant's. */
const outboxRows = scopedCollection(OutboxMail);
const outbox = crossTenant(
  OutboxMail,
  "the mail worker drains one outbox for every tenant, by each row's unique _id or key",
);
const sentLog = scopedCollection(SentMail);
const insertMailKey = coalescedInsert(() => mailKeys);
const insertOutboxRow = coalescedInsert(() => outboxRows);

/**
 * Sent rows are marked as soon as they are sent (a run that dies after sending must not send them
 * again), those sent while a mark is in flight together in the next one. By _id alone, the one
 * filter the engine answers from an index. It was sent: that holds even if a run took the row
 * over after our lock ran out (it then sends it again, as before). A mark that matched fewer rows
 * than it names fails for all of them: the sender stops rather than send on unrecorded.
 */
const markSent = new GroupCommit<{ _id: Types.ObjectId; key: string }, void>(async (rows) => {
  const sentMark = {
    $set: { status: 'sent', sentAt: new Date(), lockedUntil: null, lastError: null, claimedBy: null },
  };
  const result = await outbox.updateMany({ _id: { $in: rows.map((r) => r._id) } }, sentMark);
  if (result.matchedCount === rows.length) return rows.map(() => ({ ok: true as const, value: undefined }));
  // A row not found by _id may still be there (an _id index a crash damaged): by its unique key.
  return Promise.all(
    rows.map(async (r) => {
      const again = await outbox.updateOne({ key: r.key }, sentMark);
      return again.matchedCount
        ? { ok: true as const, value: undefined }
        : { ok: false as const, error: new Error(`sent mark of ${r.key} matched no outbox row`) };
    }),
  );
});

/**
 * Queue a mail; returns false when this event's mail was queued already (pending or sent).
 *
 * Unique indexes decide, never a read. A key is taken from the moment its mail is queued and
 * for good: by its `MailKey` row, and while the mail waits also by the outbox row's unique key
 * (a row leaves the outbox only after its `MailKey` row is written, see moveFinished). So first
 * the `MailKey` row (a mail that has already left the outbox is not queued again), then the
 * outbox row. If the outbox insert fails, the key is given back so a retry of the event can
 * queue it; only a process dying between the two inserts loses that one mail, the same window
 * as between storing a change and queueing its mail. With `newKey` only the outbox row is
 * written (the outbox's unique key holds the key until the row moves out).
 */
export async function enqueueMail(ctx: Ctx, input: OutboxInput): Promise<boolean> {
  const now = new Date();
  const _id = new Types.ObjectId();
  if (!input.newKey) {
    try {
      await insertMailKey({ _id: input.key, mailId: _id, createdAt: now });
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
  try {
    // A plain insert with every field the schema would default: the input is typed, and the
    // document machinery costs more than the insert.
    await insertOutboxRow({
      _id,
      tenantId: input.tenantId ? new Types.ObjectId(input.tenantId) : null,
      key: input.key,
      to: input.to,
      locale: input.locale,
      template: input.template,
      params: input.params,
      headers: input.headers ?? {},
      replyTo: input.replyTo ?? null,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      lastError: null,
      claimedBy: null,
      messageId: `<${randomUUID()}@backoffice-desk>`,
      createdAt: now,
      sentAt: null,
    });
  } catch (err) {
    // A row with this key already waits (queued before mail keys existed): it is queued.
    if (isDuplicateKey(err)) return false;
    if (!input.newKey)
      await mailKeys.deleteOne({ _id: input.key as unknown as Types.ObjectId }).catch(() => undefined);
    throw err;
  }
  ctx.log.debug({ key: input.key, template: input.template }, 'mail queued');
  domainEvents.emit('mail.queued', { key: input.key });
  return true;
}

/**
 * Whether this event's mail was queued already (waiting or gone). A read, for callers that would
 * otherwise do costly work (a report) only to have `enqueueMail` refuse it: enqueueMail still
 * decides. Both filters are exactly a unique index's keys, so the engine answers from the index.
 */
export async function isMailQueued(key: string): Promise<boolean> {
  const [kept, waiting] = await Promise.all([
    mailKeys.findOne({ _id: key as unknown as Types.ObjectId }, { projection: { _id: 1 } }),
    outbox.findOne({ key }, { projection: { _id: 1 } }),
  ]);
  return kept !== null || waiting !== null;
}

type OutboxRow = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId | null;
  key: string;
  to: string;
  locale: string;
  template: string;
  params: unknown;
  headers: unknown;
  replyTo?: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lastError?: string | null;
  messageId: string;
  createdAt: Date;
  sentAt?: Date | null;
};

const dueNow = (now: Date): Array<Record<string, unknown>> => [
  { status: 'pending', nextAttemptAt: { $lte: now } },
  { status: 'sending', lockedUntil: { $lt: now } },
];

/**
 * Claim up to `max` due rows (pending and due, or stuck in `sending` past their lock: a run
 * died) for this run, oldest due first; also returns the rows that are done but still here (a
 * run died between sending and moving them). One scan of the (small) outbox finds the
 * candidates; a conditional update per row takes each for exactly one run.
 */
async function claimBatch(
  ctx: Ctx,
  run: string,
  now: Date,
  max: number,
): Promise<{ claimed: OutboxRow[]; done: OutboxRow[] }> {
  const candidates = await OutboxMail.find({
    $or: [...dueNow(now), { status: { $in: ['sent', 'failed'] } }],
    ...(unmovable.size ? { key: { $nin: [...unmovable] } } : {}),
  })
    .setOptions({ allTenants: true })
    .sort({ nextAttemptAt: 1, _id: 1 })
    .limit(max)
    .lean<OutboxRow[]>();
  const done = candidates.filter((r) => r.status === 'sent' || r.status === 'failed');
  const due = candidates.filter((r) => r.status === 'pending' || r.status === 'sending');
  if (!due.length) return { claimed: [], done };
  const lockedUntil = new Date(now.getTime() + outboxPolicy.lockMs);
  const result = await outbox.updateMany(
    { _id: { $in: due.map((r) => r._id) }, $or: dueNow(now) },
    { $set: { status: 'sending', lockedUntil, claimedBy: run }, $inc: { attempts: 1 } },
  );
  // All of them, or (another run took some meanwhile) ours are the ones carrying our mark.
  const claimed =
    result.modifiedCount === due.length
      ? due.map((r) => ({ ...r, status: 'sending', attempts: r.attempts + 1 }))
      : result.modifiedCount
        ? await OutboxMail.find({ claimedBy: run, status: 'sending' })
            .setOptions({ allTenants: true })
            .sort({ nextAttemptAt: 1, _id: 1 })
            .lean<OutboxRow[]>()
        : [];
  await noteMissedClaims(ctx, due, claimed);
  return { claimed, done };
}

/**
 * Move finished rows out of the outbox into `SentMail` (same _id). Their keys go into `MailKey`
 * first (rows queued before mail keys existed have none), so a key never leaves the outbox
 * without staying taken. Every step tolerates a repeat: two runs may move the same row.
 */
async function moveFinished(ctx: Ctx, rows: OutboxRow[]): Promise<void> {
  if (!rows.length) return;
  const now = new Date();
  const ignoreDuplicates = (err: unknown): void => {
    const errors = (err as { writeErrors?: Array<{ code?: number }> } | null)?.writeErrors;
    const all = Array.isArray(errors) ? errors : errors ? [errors] : null;
    if (isDuplicateKey(err) || (all && all.every((e) => e.code === 11000))) return;
    throw err;
  };
  const keys = mailKeys
    .insertMany(
      rows.map((r) => ({ _id: r.key as unknown as Types.ObjectId, mailId: r._id, createdAt: r.createdAt })),
      { ordered: false },
    )
    .catch(ignoreDuplicates);
  const log = sentLog
    .insertMany(
      rows.map((r) => ({
        _id: r._id,
        tenantId: r.tenantId ?? null,
        key: r.key,
        to: r.to,
        locale: r.locale,
        template: r.template,
        params: r.params,
        headers: r.headers,
        replyTo: r.replyTo ?? null,
        status: r.status,
        attempts: r.attempts,
        lastError: r.lastError ?? null,
        messageId: r.messageId,
        createdAt: r.createdAt,
        sentAt: r.sentAt ?? null,
        finishedAt: now,
      })),
      { ordered: false },
    )
    .catch(ignoreDuplicates);
  await Promise.all([keys, log]);
  // By _id alone (an index hit on the engine): a finished row never changes again.
  const removed = await outbox.deleteMany({ _id: { $in: rows.map((r) => r._id) } }).catch(() => null);
  if (removed?.deletedCount !== rows.length) await removeOneByOne(ctx, rows);
}

/**
 * Finished rows the _id delete missed: each by its unique key; a row even that cannot remove
 * (after a crash of the engine, a row was seen that scans return and every delete fails on) is
 * set aside as `stuck` with the error, never claimed again, instead of being served to every run.
 * A row the database cannot even mark is left out of this process's claims (`unmovable`).
 */
async function removeOneByOne(ctx: Ctx, rows: OutboxRow[]): Promise<void> {
  // A scan of the (small) outbox: it finds rows an index may have lost.
  const left = await outbox
    .find({ key: { $in: rows.map((r) => r.key) } }, { projection: { key: 1 } })
    .toArray();
  for (const { key } of left as unknown as Array<{ key: string }>) {
    const error = await outbox.deleteOne({ key }).then(
      (r) => (r.deletedCount ? null : 'delete by key removed nothing'),
      (err: unknown) => (err as Error).message,
    );
    if (!error) continue;
    await setAside(ctx, key, `finished, but cannot be removed from the outbox: ${error}`);
  }
}

/**
 * Set a row aside as `stuck` (by its unique key: its _id may be what fails), with the error, for
 * good: no claim takes it again. Logged, for an operator to look at. A row the database cannot
 * even mark is left out of this process's claims.
 */
async function setAside(ctx: Ctx, key: string, why: string): Promise<void> {
  const lastError = why.slice(0, 500);
  const marked = await outbox
    .updateOne({ key }, { $set: { status: 'stuck', lastError, lockedUntil: null, claimedBy: null } })
    .catch(() => null);
  if (!marked?.modifiedCount) unmovable.add(key);
  ctx.log.error({ key, lastError, marked: Boolean(marked?.modifiedCount) }, 'outbox row set aside');
}

/**
 * Due rows the claim's update missed, by key, run after run. A row another run claimed stops
 * being due (its lock holds); one missed again and again is a row its _id does not reach.
 */
async function noteMissedClaims(ctx: Ctx, due: OutboxRow[], claimed: OutboxRow[]): Promise<void> {
  if (claimed.length === due.length && !missedClaims.size) return;
  const mine = new Set(claimed.map((r) => String(r._id)));
  if (missedClaims.size > 10_000) missedClaims.clear(); // keys of rows long gone: only a bound
  for (const r of due) {
    const n = mine.has(String(r._id)) ? 0 : (missedClaims.get(r.key) ?? 0) + 1;
    if (n === 0) missedClaims.delete(r.key);
    else if (n < outboxPolicy.maxMissedClaims) missedClaims.set(r.key, n);
    else {
      missedClaims.delete(r.key);
      await setAside(ctx, r.key, `due, but missed by ${n} claims in a row (not reachable by its _id)`);
    }
  }
}

/** Give claimed rows back untouched (no attempt counted) when a run stops before sending them. */
async function releaseClaims(run: string, ids: Types.ObjectId[]): Promise<void> {
  if (!ids.length) return;
  await outbox.updateMany(
    { _id: { $in: ids }, claimedBy: run },
    { $set: { status: 'pending', lockedUntil: null, claimedBy: null }, $inc: { attempts: -1 } },
  );
}

/**
 * Send what is due, up to `limit` mails, in batches claimed for this run. A failure puts the
 * row back with exponential backoff (after the last attempt it is given up: `failed`, kept in
 * `SentMail` with the error), releases the rest of the batch without counting an attempt, and
 * ends the run: the server is likely down. Sent and given-up rows leave the outbox at the end of
 * each batch.
 */
export async function deliverDueMail(ctx: Ctx, limit = 50): Promise<{ sent: number; failed: number }> {
  const run = `${ctx.requestId}:${randomUUID()}`;
  let sent = 0;
  let failed = 0;
  while (sent < limit && !failed) {
    const want = Math.min(outboxPolicy.claimBatch, limit - sent);
    const { claimed, done } = await claimBatch(ctx, run, new Date(), want);
    const finished: OutboxRow[] = [...done];
    for (let i = 0; i < claimed.length; i++) {
      const row = claimed[i] as OutboxRow;
      const rest = (): Types.ObjectId[] => claimed.slice(i + 1).map((r) => r._id);
      if (row.attempts > outboxPolicy.maxAttempts) {
        // Claimed more often than it may be tried, so its runs keep dying or failing to record it:
        // set aside with its error instead of sending it again (one bad row never holds the rest).
        const lastError = `claimed ${row.attempts} times without being finished (last error: ${row.lastError ?? 'none'}); set aside`;
        ctx.log.error({ key: row.key, attempts: row.attempts }, 'outbox row set aside');
        finished.push({ ...row, status: 'failed', lastError });
        continue;
      }
      try {
        await sendRendered({
          to: row.to,
          locale: row.locale as Locale,
          template: row.template as MailTemplate,
          params: row.params as Record<string, string>,
          headers: row.headers as Record<string, string>,
          replyTo: row.replyTo ?? undefined,
          messageId: row.messageId,
        });
      } catch (err) {
        const last = row.attempts >= outboxPolicy.maxAttempts;
        const backoff = outboxPolicy.baseBackoffMs * 2 ** Math.min(row.attempts - 1, 10);
        const lastError = (err as Error).message.slice(0, 500);
        const put = await outbox.updateOne(
          { _id: row._id, claimedBy: run },
          {
            $set: {
              status: last ? 'failed' : 'pending',
              lockedUntil: null,
              claimedBy: null,
              lastError,
              nextAttemptAt: new Date(Date.now() + backoff),
            },
          },
        );
        // Given up, and still ours (not taken over after our lock ran out): it leaves the outbox.
        if (last && put.modifiedCount) finished.push({ ...row, status: 'failed', lastError });
        await releaseClaims(run, rest());
        ctx.log.warn({ err, key: row.key, attempts: row.attempts, final: last }, 'mail delivery failed');
        failed++;
        break;
      }
      sent++;
      // Recorded before the next one is sent: when the database cannot record a sent mail, nothing
      // more goes out. That one row stays `sending` and is sent again, under the same Message-ID,
      // once its lock runs out: the only mail a crash can duplicate.
      try {
        await markSent.submit({ _id: row._id, key: row.key });
      } catch (err) {
        ctx.log.error({ err, key: row.key }, 'a sent mail could not be recorded; delivery stops');
        await releaseClaims(run, rest()).catch(() => undefined);
        failed++;
        break;
      }
      finished.push({ ...row, status: 'sent', sentAt: new Date(), lastError: null });
    }
    await moveFinished(ctx, finished);
    // Fewer candidates than asked for: nothing else is due.
    if (claimed.length + done.length < want) break;
  }
  return { sent, failed };
}
