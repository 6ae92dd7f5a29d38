import type { Types } from 'mongoose';
import { Tenant } from '../../../models/tenant.js';
import { User } from '../../../models/user.js';
import { WebhookEndpoint } from '../../../models/webhook-endpoint.js';
import { crossTenant } from '../../db/scoped-collection.js';
import { isLocale, type Locale } from '../../i18n/i18n.js';
import type { Ctx } from '../context.js';
import { enqueueMail } from '../mail/outbox.js';
import { linkUrl } from '../settings.js';
import { forgetWebhookEndpoints } from './record-events.js';

/** An endpoint failing this long without one success is disabled and its client's admins mailed. */
export const FAILING_DISABLE_DAYS = 5;
const DAY_MS = 24 * 3_600_000;

const endpointsDoor = crossTenant(
  WebhookEndpoint,
  'the maintenance job disables every tenant’s endpoints failing for 5 days, by _id and failingSince',
);

type Row = {
  _id: Types.ObjectId;
  tenantId: Types.ObjectId;
  url: string;
  failingSince?: Date | null;
  disabledAt?: Date | null;
};

/**
 * Disable the endpoints that have failed for FAILING_DISABLE_DAYS (each by a conditional update on
 * the failing-since it was read with: one that recovered meanwhile stays active), then mail the
 * client admins of every endpoint disabled so in the last day. The mail's key names the endpoint
 * and its disabling, so a run cut between the two steps is completed by the next one, never twice.
 */
export async function disableFailingEndpoints(
  ctx: Ctx,
  now = new Date(),
): Promise<{ disabled: number; mailed: number }> {
  const floor = new Date(now.getTime() - FAILING_DISABLE_DAYS * DAY_MS);
  const failing = await WebhookEndpoint.find({ state: 'active', failingSince: { $lt: floor } })
    .setOptions({ allTenants: true })
    .select({ tenantId: 1, failingSince: 1 })
    .lean<Row[]>();
  let disabled = 0;
  for (const ep of failing) {
    const done = await endpointsDoor.updateOne(
      { _id: ep._id, state: 'active', failingSince: ep.failingSince },
      { $set: { state: 'disabled', disabledReason: 'failing', disabledAt: now } },
    );
    if (done.modifiedCount) {
      disabled++;
      forgetWebhookEndpoints(String(ep.tenantId));
      ctx.log.warn({ endpoint: String(ep._id) }, 'webhook endpoint failing for 5 days: disabled');
    }
  }
  const recent = await WebhookEndpoint.find({
    state: 'disabled',
    disabledReason: 'failing',
    disabledAt: { $gte: new Date(now.getTime() - DAY_MS) },
  })
    .setOptions({ allTenants: true })
    .select({ tenantId: 1, url: 1, disabledAt: 1 })
    .lean<Row[]>();
  let mailed = 0;
  for (const ep of recent) {
    const tenant = await Tenant.findById(ep.tenantId).select({ locale: 1 }).lean<{ locale?: string }>();
    const admins = await User.find({ tenantId: ep.tenantId, role: 'client_admin', status: 'active' })
      .select({ email: 1, name: 1, locale: 1 })
      .lean<Array<{ _id: unknown; email: string; name: string; locale?: string | null }>>();
    for (const admin of admins) {
      const locale: Locale = isLocale(admin.locale)
        ? admin.locale
        : isLocale(tenant?.locale)
          ? tenant.locale
          : 'en';
      const queued = await enqueueMail(ctx, {
        key: `webhook-disabled:${String(ep._id)}:${String(ep.disabledAt?.getTime())}:${String(admin._id)}`,
        tenantId: String(ep.tenantId),
        to: admin.email,
        locale,
        template: 'webhook_disabled',
        params: {
          name: admin.name,
          url: ep.url,
          id: String(ep._id),
          days: String(FAILING_DISABLE_DAYS),
          link: linkUrl('/api/v1/docs'),
        },
      });
      if (queued) mailed++;
    }
  }
  return { disabled, mailed };
}
