import { SlaCalendar } from '../../../models/sla-calendar.js';
import { Tenant } from '../../../models/tenant.js';
import { notFound } from '../../errors/app-error.js';
import { recordAudit } from '../audit/audit.js';
import type { Ctx } from '../context.js';
import { calendarInputSchema, parseContractInput } from './contract-input.js';
import { forgetContract } from './contract-store.js';
import { actorRef, contractTenant, isDuplicate } from './contract-tenant.js';

/** Save the tenant's calendar (created on first save). `input`: the form's fields (calendarInputSchema). */
export async function saveCalendar(ctx: Ctx, tenantId: string, input: unknown) {
  const { tenant } = await contractTenant(ctx, tenantId);
  const data = parseContractInput(calendarInputSchema, input);
  const update = { $set: { ...data, updatedBy: actorRef(ctx) } };
  const write = () =>
    SlaCalendar.findOneAndUpdate({ tenantId: tenant._id }, update, {
      upsert: true,
      returnDocument: 'after',
      runValidators: true,
      setDefaultsOnInsert: true,
    }).lean();
  // Two first saves at once: the unique index lets one insert, the other updates on retry.
  const calendar = await write().catch((err: unknown) => (isDuplicate(err) ? write() : Promise.reject(err)));
  if (!calendar) throw notFound('calendar');
  forgetContract(String(tenant._id));
  await Tenant.updateOne({ _id: tenant._id }, { $set: { calendarRef: String(calendar._id) } });
  await recordAudit(ctx, {
    action: 'sla.calendar_saved',
    tenantId: String(tenant._id),
    targetId: String(calendar._id),
    targetLabel: tenant.code,
    details: {
      timeZone: data.timeZone,
      alwaysOpen: data.alwaysOpen,
      weekly: data.weekly.length,
      holidays: data.holidays.length,
      closures: data.closures.length,
    },
  });
  return calendar;
}
