import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { formatNumber, formatPercent, intlLocaleOf } from '../../i18n/format.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { ensureMailQueued } from '../mail/ensure-queued.js';
import { linkUrl } from '../settings.js';

/**
 * Tell the account managers serving the client that the lot just closed recorded a breach of a
 * layout's accuracy target (record-accuracy-breach.ts), as the SLA sweep tells team leads of a
 * missed deadline: one mail per (breach, manager), its key `accuracy-breach:<breach>:<e-mail>`, so
 * the outbox queues each once, ever. close-lot.ts calls this on every closing of the lot, also one
 * completing a closing cut short by a crash: what is queued already is not queued again. Returns
 * how many mails are queued (now or earlier); a key still undecided (a worker between its two
 * inserts) is queued by the next closing call or counted out.
 */
export async function mailAccuracyBreach(
  ctx: Ctx,
  tenantId: Types.ObjectId,
  lotId: Types.ObjectId,
): Promise<number> {
  const breach = await AccuracyBreach.findOne({ tenantId, lotId }).lean();
  if (!breach) return 0;
  const tenant = await Tenant.findById(tenantId).select({ legalName: 1 }).lean();
  const managers = await User.find({
    tenantId: null,
    role: 'account_manager',
    status: 'active',
    tenantIds: tenantId,
  })
    .select({ email: 1, name: 1, locale: 1 })
    .lean();
  const from = breach.period;
  const report = linkUrl(
    `/reports/${String(tenantId)}?from=${from}-01&to=${DateTime.fromISO(`${from}-01`).plus({ months: 1 }).toISODate()}`,
  );
  let queued = 0;
  for (const m of managers) {
    const locale: Locale = isLocale(m.locale) ? m.locale : 'en';
    const state = await ensureMailQueued(ctx, {
      key: `accuracy-breach:${String(breach._id)}:${m.email}`,
      tenantId: String(tenantId),
      to: m.email,
      locale,
      template: 'accuracy_breach',
      params: {
        name: m.name,
        client: tenant?.legalName ?? '',
        layout: breach.layoutName,
        period: DateTime.fromISO(`${from}-01`).setLocale(intlLocaleOf(locale)).toFormat('LLLL yyyy'),
        target: formatPercent(breach.target, locale),
        accuracy: formatPercent(breach.inspected ? breach.correct / breach.inspected : 0, locale),
        lower: formatPercent(breach.lower, locale),
        upper: formatPercent(breach.upper, locale),
        inspected: formatNumber(breach.inspected, locale),
        link: report,
      },
    });
    if (state === 'queued') queued += 1;
  }
  return queued;
}
