import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import { AccuracyBreach, type AccuracyBreachAttrs } from '../../../models/accuracy-breach.js';
import { Tenant } from '../../../models/tenant.js';
import { domainEvents, type DomainEvents } from '../events.js';
import { clientAccuracy } from './client-accuracy.js';

/** The lot whose closing looks for a breach, and its batch's ticket (the event names them). */
export interface BreachSource {
  lotId: Types.ObjectId;
  ticket: { _id: Types.ObjectId; number: string; type: string };
}

/**
 * Record the breach of a layout's accuracy target for the calendar month (client's time zone)
 * of `at`, when the month's field accuracy so far has a 95 % Wilson interval wholly below the
 * target (accuracy-verdict.ts; "at risk" is shown, never recorded). Called each time a lot of
 * the layout is closed (close-lot.ts), before the batch moves on, so a crash in between is
 * completed by closing again. The unique index (tenant, layout, month) keeps one breach per
 * month: the first lot that shows it records it, with the figures it was seen on (and itself as
 * `lotId`); a later lot of the same month changes nothing. The call that records it raises
 * `quality.accuracy_breached` on the bus, so the event is raised once per breach (a crash right
 * after the insert leaves it to the webhook sweep, which reads the breaches). Returns whether
 * this call recorded it.
 */
export async function recordAccuracyBreach(
  tenantId: Types.ObjectId,
  layoutId: Types.ObjectId,
  at: Date,
  source?: BreachSource,
): Promise<boolean> {
  const tenant = await Tenant.findById(tenantId).select({ timeZone: 1 }).lean();
  if (!tenant) return false;
  const start = DateTime.fromJSDate(at, { zone: tenant.timeZone }).startOf('month');
  const from = start.toJSDate();
  const to = start.plus({ months: 1 }).toJSDate();
  const { layouts } = await clientAccuracy(String(tenantId), from, to, layoutId);
  const layout = layouts[0];
  if (!layout || layout.verdict !== 'breach' || layout.target === null) return false;
  let breach;
  try {
    breach = await AccuracyBreach.create({
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
      lotId: source?.lotId ?? null,
      ticketId: source?.ticket._id ?? null,
    });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
  if (source) domainEvents.emit('quality.accuracy_breached', breachEventOf(breach, source.ticket));
  return true;
}

/** The bus event of a stored breach (also what the webhook sweep announces again). */
export function breachEventOf(
  b: AccuracyBreachAttrs & { _id: Types.ObjectId },
  ticket: BreachSource['ticket'],
): DomainEvents['quality.accuracy_breached'] {
  const { period, target, inspected, correct, lower, upper } = b;
  return {
    tenantId: b.tenantId,
    ticket: { _id: ticket._id, number: ticket.number, type: ticket.type },
    sourceId: b._id,
    at: b.recordedAt,
    layout: { id: b.layoutId, name: b.layoutName },
    breach: { period, target, inspected, correct, lower, upper },
  };
}
