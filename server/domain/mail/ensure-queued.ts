import type { Types } from 'mongoose';
import { MailKey } from '../../../models/mail-key.js';
import { OutboxMail } from '../../../models/outbox-mail.js';
import { SentMail } from '../../../models/sent-mail.js';
import { crossTenant, unscopedCollection } from '../../db/scoped-collection.js';
import type { Ctx } from '../context.js';
import { enqueueMail, type OutboxInput } from './outbox.js';

/**
 * A key taken longer ago than this without its mail row is an orphan: the process that took it
 * died between the two inserts of `enqueueMail`. A live one is milliseconds apart.
 */
export const ORPHAN_AFTER_MS = 10_000;

/**
 * - `queued`: the key's mail is in the outbox, or was sent (now or earlier, by anyone);
 * - `undecided`: the key is taken but its row is not there yet: someone is between the two
 *   inserts, or died there less than ORPHAN_AFTER_MS ago. Ask again later.
 */
export type QueueState = 'queued' | 'undecided';

const asId = (key: string): Types.ObjectId => key as unknown as Types.ObjectId;
const mailKeys = unscopedCollection(
  MailKey,
  'event keys are global (the key names its ticket): the collection holds no tenantId',
);
const why =
  'a mail key is global: its outbox and sent rows are found by the unique key or _id, whatever their tenant';
const outbox = crossTenant(OutboxMail, why);
const sent = crossTenant(SentMail, why);

/**
 * `enqueueMail` for callers that retry an event until all its effects exist (the SLA sweep marks
 * a ticket's clock only once every mail of its events is queued). `enqueueMail` alone answers
 * "already queued" for a key whose process died after taking it and before inserting its row,
 * and that mail would never go out; here such an orphan key, once older than ORPHAN_AFTER_MS, is
 * given back (only if it still points at the missing row) and the mail queued again.
 *
 * Only the repeat of an event pays the extra reads, all by unique key (the outbox key, the
 * sent row's _id); a sent row is looked up by key (a scan) only for an orphan candidate. A repair
 * racing the original process, should it wake up after ORPHAN_AFTER_MS, meets the unique key of
 * the outbox row (one row per key while it waits); only if the original row had been sent and
 * had left the outbox within that moment could the mail go twice.
 */
export async function ensureMailQueued(
  ctx: Ctx,
  input: OutboxInput,
  orphanAfterMs = ORPHAN_AFTER_MS,
): Promise<QueueState> {
  if (await enqueueMail(ctx, input)) return 'queued';
  const taken = await mailKeys.findOne({ _id: asId(input.key) });
  // Given back meanwhile (a failed enqueue): ask again later, when it is queued or free.
  if (!taken) return 'undecided';
  if (await outbox.findOne({ key: input.key }, { projection: { _id: 1 } })) return 'queued';
  if (await sent.findOne({ _id: taken.mailId as Types.ObjectId }, { projection: { _id: 1 } }))
    return 'queued';
  const age = Date.now() - new Date(taken.createdAt as Date).getTime();
  if (!(age >= orphanAfterMs)) return 'undecided';
  // Rows queued before mail keys existed carry another _id: a last look by key.
  if (await sent.findOne({ key: input.key }, { projection: { _id: 1 } })) return 'queued';
  const freed = await mailKeys.deleteOne({ _id: asId(input.key), mailId: taken.mailId });
  ctx.log.warn(
    { key: input.key, ageMs: age, freed: freed.deletedCount },
    'mail key without its mail (a worker died while queueing it): queueing it again',
  );
  return (await enqueueMail(ctx, input)) ? 'queued' : 'undecided';
}
