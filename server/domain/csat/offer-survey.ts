import type { Types } from 'mongoose';
import { CsatRating } from '../../../models/csat-rating.js';
import { t, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { linkUrl } from '../settings.js';
import { currentPolicy } from '../sla/contract-store.js';
import { signSurveyLink, SURVEY_WINDOW_MS } from './link-token.js';

export interface ResolvedTicket {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  number: string;
  type: string;
  priority: string;
  version: number;
  resolvedAt?: Date | null;
  assignee?: { id?: Types.ObjectId | null; name?: string | null } | null;
  requester?: { email?: string | null } | null;
}

export const surveyScores = [1, 2, 3, 4, 5] as const;

/** The rating links of one survey: `/csat/<token>?score=n`, one per score. */
export function surveyLinks(token: string): Array<{ score: number; url: string }> {
  return surveyScores.map((score) => ({ score, url: linkUrl(`/csat/${token}?score=${score}`) }));
}

/**
 * A ticket was just resolved: unless the client's contract turns surveys off, write the survey
 * row of this resolution (its facts of this moment: assignee, type, priority; written once, the
 * unique index ignores a repeat) and return the mail's `survey` paragraph in the reader's
 * language. Returns null when no survey is sent.
 */
export async function offerSurvey(
  _ctx: Ctx,
  ticket: ResolvedTicket,
  now = new Date(),
): Promise<((locale: Locale) => { survey: string }) | null> {
  if (!ticket.requester?.email) return null;
  const policy = await currentPolicy(String(ticket.tenantId));
  if (policy?.csatOptOut === true) return null;
  const resolvedAt = ticket.resolvedAt ?? now;
  const expiresAt = new Date(resolvedAt.getTime() + SURVEY_WINDOW_MS);
  try {
    await CsatRating.updateOne(
      { tenantId: ticket.tenantId, ticketId: ticket._id, resolution: ticket.version },
      {
        $setOnInsert: {
          number: ticket.number,
          resolvedAt,
          expiresAt,
          assignee: ticket.assignee?.id ? { id: ticket.assignee.id, name: ticket.assignee.name ?? '' } : null,
          type: ticket.type,
          priority: ticket.priority,
          score: null,
          ratedAt: null,
          comment: '',
          changes: 0,
        },
      },
      { upsert: true },
    );
  } catch (err) {
    // Two upserts of the same resolution at once: the other one wrote it.
    if ((err as { code?: unknown } | null)?.code !== 11000) throw err;
  }
  return (locale: Locale) => {
    const token = signSurveyLink({
      tenantId: String(ticket.tenantId),
      ticketId: String(ticket._id),
      resolution: ticket.version,
      locale,
      expiresAt,
    });
    const lines = surveyLinks(token).map(({ score, url }) =>
      t(locale, 'csat.mail.score_line', { label: t(locale, `csat.scores.${score}`), url }),
    );
    return { survey: `\n\n${t(locale, 'csat.mail.intro')}\n${lines.join('\n')}` };
  };
}
