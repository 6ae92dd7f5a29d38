import { Types } from 'mongoose';
import { z } from 'zod';
import { CsatRating, type CsatRatingAttrs } from '../../../models/csat-rating.js';
import type { Locale } from '../../i18n/i18n.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { verifySurveyLink } from '../csat/link-token.js';
import { domainEvents } from '../events.js';
import { appendTimeline } from './timeline.js';

/**
 * Rating a resolution through the survey link of its mail (no sign-in: the signed token says
 * which tenant, ticket and resolution). The survey row exists since the mail was offered; rating
 * is one conditional update of it (still within the window), so one rating per resolution and a
 * second click changes it. Each change is a timeline entry (internal) keyed by the row's change
 * count, which the webhooks turn into a `csat.received` event, and a `csat.received` on the bus.
 */

export const rateInputSchema = z.object({ score: z.coerce.number().int().min(1).max(5) });
export const commentInputSchema = z.object({ comment: z.string().trim().max(2000) });

const invalidLink = (): AppError =>
  new AppError('not_found', 'no survey for this link', { messageKey: 'csat.link_invalid' });

export interface SurveyView {
  locale: Locale;
  number: string;
  score: number | null;
  comment: string;
  expiresAt: Date;
}

function filterOf(link: ReturnType<typeof verifySurveyLink>) {
  return {
    tenantId: new Types.ObjectId(link.tenantId),
    ticketId: new Types.ObjectId(link.ticketId),
    resolution: link.resolution,
  };
}

/** What the survey page shows: the link's language, the ticket number and the rating so far. */
export async function surveyPage(_ctx: Ctx, token: string, now = new Date()): Promise<SurveyView> {
  const link = verifySurveyLink(token, now);
  const row = await CsatRating.findOne({ ...filterOf(link), expiresAt: { $gt: now } }).lean();
  if (!row) throw invalidLink();
  return {
    locale: link.locale,
    number: row.number,
    score: row.score ?? null,
    comment: row.comment ?? '',
    expiresAt: row.expiresAt,
  };
}

type Row = CsatRatingAttrs & { _id: Types.ObjectId };

const viewOf = (locale: Locale, row: Row): SurveyView => ({
  locale,
  number: row.number,
  score: row.score ?? null,
  comment: row.comment ?? '',
  expiresAt: row.expiresAt,
});

async function recordChange(ctx: Ctx, row: Row): Promise<void> {
  const data = {
    score: row.score,
    resolution: row.resolution,
    hasComment: Boolean(row.comment),
  };
  await appendTimeline(
    ctx,
    { _id: row.ticketId, tenantId: row.tenantId },
    {
      kind: 'csat',
      visibility: 'internal',
      key: `csat:${String(row._id)}:${row.changes}`,
      data,
      author: { id: null, name: 'csat', kind: 'system' },
    },
  );
  // The entry is written: the marker goes (unless a later change owes its own entry by now).
  await CsatRating.updateOne(
    { _id: row._id, tenantId: row.tenantId, changes: row.changes },
    { $set: { entryOwedSince: null } },
  );
  domainEvents.emit('csat.received', {
    tenantId: String(row.tenantId),
    ticketId: String(row.ticketId),
    number: row.number,
    score: row.score ?? 0,
    resolution: row.resolution,
  });
}

/** Ratings older than this that still owe their entry were interrupted (younger: a request in flight). */
export const OWED_ENTRY_GRACE_MS = 30_000;

/**
 * Finish what a crash interrupted between a rating's update and its timeline entry: every rating
 * (of every tenant) still owing its entry after OWED_ENTRY_GRACE_MS gets the entry of its latest
 * change (its key is unique, so never twice). Run by the webhook sweep. Returns how many.
 */
export async function completeOwedRatingEntries(ctx: Ctx, opts: { now?: Date } = {}): Promise<number> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - OWED_ENTRY_GRACE_MS);
  const rows = await CsatRating.find({ entryOwedSince: { $ne: null, $lt: cutoff } })
    .setOptions({ allTenants: true })
    .limit(500)
    .lean<Row[]>();
  for (const row of rows) await recordChange(ctx, row);
  if (rows.length) ctx.log.warn({ finished: rows.length }, 'rating entries a crash interrupted written');
  return rows.length;
}

/** Record (or change, within the window) the rating of the link's resolution. */
export async function rateResolution(
  ctx: Ctx,
  token: string,
  input: z.infer<typeof rateInputSchema>,
  now = new Date(),
): Promise<SurveyView> {
  const link = verifySurveyLink(token, now);
  const row = await CsatRating.findOneAndUpdate(
    { ...filterOf(link), expiresAt: { $gt: now } },
    { $set: { score: input.score, ratedAt: now, entryOwedSince: now }, $inc: { changes: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!row) throw invalidLink();
  await recordChange(ctx, row as Row);
  return viewOf(link.locale, row as Row);
}

/** The optional comment, after a rating (refused before one: nothing to comment on). */
export async function commentOnRating(
  ctx: Ctx,
  token: string,
  input: z.infer<typeof commentInputSchema>,
  now = new Date(),
): Promise<SurveyView> {
  const link = verifySurveyLink(token, now);
  const row = await CsatRating.findOneAndUpdate(
    { ...filterOf(link), expiresAt: { $gt: now }, score: { $ne: null } },
    { $set: { comment: input.comment, entryOwedSince: now }, $inc: { changes: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (!row) throw invalidLink();
  await recordChange(ctx, row as Row);
  return viewOf(link.locale, row as Row);
}
