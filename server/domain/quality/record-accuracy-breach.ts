import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { AccuracyBreach } from '../../../models/accuracy-breach.js';
import { Tenant } from '../../../models/tenant.js';
import { clientAccuracy } from './client-accuracy.js';

/**
 * Record the breach of a layout's accuracy target for the calendar month (client's time zone)
 * of `at`, when the month's field accuracy so far has a 95 % Wilson interval wholly below the
 * target (accuracy-verdict.ts; "at risk" is shown, never recorded). Called each time a lot of
 * the layout is closed (close-lot.ts), before the batch moves on, so a crash in between is
 * completed by closing again. The unique index (tenant, layout, month) keeps one breach per
 * month: the first lot that shows it records it, with the figures it was seen on; a later lot
 * of the same month changes nothing. Returns whether this call recorded it.
 */
export async function recordAccuracyBreach(
  tenantId: Types.ObjectId,
  layoutId: Types.ObjectId,
  at: Date,
): Promise<boolean> {
  const tenant = await Tenant.findById(tenantId).select({ timeZone: 1 }).lean();
  if (!tenant) return false;
  const start = DateTime.fromJSDate(at, { zone: tenant.timeZone }).startOf('month');
  const from = start.toJSDate();
  const to = start.plus({ months: 1 }).toJSDate();
  const { layouts } = await clientAccuracy(String(tenantId), from, to, layoutId);
  const layout = layouts[0];
  if (!layout || layout.verdict !== 'breach' || layout.target === null) return false;
  try {
    await AccuracyBreach.create({
      tenantId,
      layoutId,
      layoutName: layout.name,
      period: start.toFormat('yyyy-MM'),
      periodStart: from,
      periodEnd: to,
      target: layout.target,
      inspected: layout.inspected,
      correct: layout.correct,
      lower: layout.interval.lower,
      upper: layout.interval.upper,
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}
