import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import { AppError } from '../../errors/app-error.js';

/**
 * The signed link of a satisfaction survey: no sign-in, nothing stored to look it up. The token
 * is `<payload>.<mac>`, the payload the base64url JSON of which tenant, ticket and resolution it
 * rates, the reader's language and when it expires; the mac an HMAC-SHA256 of the payload under a
 * key derived from the server's session secret (a link of another deployment, a changed payload
 * or a forged one fail the comparison). The score is not in the token: every link of one mail
 * carries the same token, and the requester may pick any score anyway.
 */

export interface SurveyLink {
  tenantId: string;
  ticketId: string;
  resolution: number;
  locale: Locale;
  expiresAt: Date;
}

/** How long a survey link rates (and changes the rating) after the ticket was resolved. */
export const SURVEY_WINDOW_MS = 14 * 24 * 60 * 60_000;

let key: Buffer = randomBytes(32);

/** Set once at start-up from the session secret (a per-process key until then). */
export function configureSurveyKey(secret: string): void {
  key = createHmac('sha256', secret).update('csat-survey-link-v1').digest();
}

const macOf = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest();
const hex24 = /^[0-9a-f]{24}$/;

export function signSurveyLink(link: SurveyLink): string {
  const payload = Buffer.from(
    JSON.stringify({
      a: link.tenantId,
      k: link.ticketId,
      r: link.resolution,
      l: link.locale,
      e: Math.floor(link.expiresAt.getTime() / 1000),
    }),
  ).toString('base64url');
  return `${payload}.${macOf(payload).toString('base64url')}`;
}

const invalidLink = (): AppError =>
  new AppError('not_found', 'invalid or expired survey link', { messageKey: 'csat.link_invalid' });

/** The link's facts, or a 404 for a forged, altered, malformed or expired one. */
export function verifySurveyLink(token: string, now = new Date()): SurveyLink {
  if (typeof token !== 'string' || token.length > 400) throw invalidLink();
  const [payload, mac, ...rest] = token.split('.');
  if (!payload || !mac || rest.length) throw invalidLink();
  const given = Buffer.from(mac, 'base64url');
  const expected = macOf(payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidLink();
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidLink();
  }
  const d = data as { a?: unknown; k?: unknown; r?: unknown; l?: unknown; e?: unknown } | null;
  if (
    !d ||
    typeof d.a !== 'string' ||
    !hex24.test(d.a) ||
    typeof d.k !== 'string' ||
    !hex24.test(d.k) ||
    !Number.isSafeInteger(d.r) ||
    !isLocale(d.l) ||
    !Number.isSafeInteger(d.e)
  )
    throw invalidLink();
  const expiresAt = new Date((d.e as number) * 1000);
  if (expiresAt.getTime() <= now.getTime()) throw invalidLink();
  return { tenantId: d.a, ticketId: d.k, resolution: d.r as number, locale: d.l, expiresAt };
}
