import { Types } from 'mongoose';
import { z } from 'zod';
import { CsatRating, type CsatRatingAttrs } from '../../../models/csat-rating.js';
import type { Locale } from '../../i18n/i18n.js';
import { AppError } from '../../errors/app-error.js';
import type { Ctx } from '../context.js';
import { verifySurveyLink } from '../csat/link-token.js';
import { domainEvents } from '../events.js';
import { carrying, pendingEntry, writePendingEntries } from './pending-entries.js';

/**
 * Rating a resolution through the survey link of its mail (no sign-in: the signed token says
 * which tenant, ticket and resolution). The survey row exists since the mail was offered; rating
 * is one conditional update of it (still within the window), so one rating per resolution and a
 * second click changes it. Each change is a timeline entry (internal) keyed by the row's change
 * count, which the webhooks turn into a `csat.received` event, and a `csat.received` on the bus.
 * The entry rides on the row's update, as a status change's rides on the ticket's
 * (pending-entries.ts): one mechanism, one sweep.
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

/** Who a rating's entry is by: the survey link signs nobody in. */
const SURVEY_AUTHOR = { id: null, name: 'csat', kind: 'system' } as const;

/**
 * Apply one change (a rating or a comment) to the link's survey row: a conditional update on the
 * row's change count that carries its timeline entry (tickets/pending-entries.ts: a crash before
 * the entry is written leaves the marker, and the webhook sweep writes it, once). A click that
 * changed the row meanwhile makes this one read it again.
 */
async function changeRating(
  ctx: Ctx,
  link: ReturnType<typeof verifySurveyLink>,
  now: Date,
  change: { set: Partial<Pick<Row, 'score' | 'ratedAt' | 'comment'>>; only?: Record<string, unknown> },
): Promise<Row> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await CsatRating.findOne({
      ...filterOf(link),
      expiresAt: { $gt: now },
      ...change.only,
    }).lean<Row>();
    if (!current) throw invalidLink();
    const next = { ...current, ...change.set, changes: current.changes + 1 };
    const entry = pendingEntry(ctx, {
      kind: 'csat',
      visibility: 'internal',
      key: `csat:${String(current._id)}:${next.changes}`,
      data: { score: next.score, resolution: next.resolution, hasComment: Boolean(next.comment) },
      at: now,
      author: SURVEY_AUTHOR,
    });
    const row = await CsatRating.findOneAndUpdate(
      { _id: current._id, tenantId: current.tenantId, changes: current.changes, expiresAt: { $gt: now } },
      { $set: change.set, $inc: { changes: 1 }, ...carrying([entry]) },
      { returnDocument: 'after' },
    ).lean<Row>();
    if (!row) continue;
    await writePendingEntries(ctx, { _id: row.ticketId, tenantId: row.tenantId }, [entry], {
      model: 'rating',
      _id: row._id,
    });
    domainEvents.emit('csat.received', {
      tenantId: String(row.tenantId),
      ticketId: String(row.ticketId),
      number: row.number,
      score: row.score ?? 0,
      resolution: row.resolution,
    });
    return row;
  }
  throw new AppError('conflict', 'survey changed meanwhile', { messageKey: 'tickets.changed_meanwhile' });
}

/** Record (or change, within the window) the rating of the link's resolution. */
export async function rateResolution(
  ctx: Ctx,
  token: string,
  input: z.infer<typeof rateInputSchema>,
  now = new Date(),
): Promise<SurveyView> {
  const link = verifySurveyLink(token, now);
  const row = await changeRating(ctx, link, now, { set: { score: input.score, ratedAt: now } });
  return viewOf(link.locale, row);
}

/** The optional comment, after a rating (refused before one: nothing to comment on). */
export async function commentOnRating(
  ctx: Ctx,
  token: string,
  input: z.infer<typeof commentInputSchema>,
  now = new Date(),
): Promise<SurveyView> {
  const link = verifySurveyLink(token, now);
  const row = await changeRating(ctx, link, now, {
    set: { comment: input.comment },
    only: { score: { $ne: null } },
  });
  return viewOf(link.locale, row);
}
