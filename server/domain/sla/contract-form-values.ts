import { DateTime } from 'luxon';
import { targetField } from './contract-input.js';
import { weekdays, type PolicyDoc } from './contract-store.js';

/** Form values: the inverse of the input schemas, for showing a stored calendar or policy in the forms. */

const hoursText = (minutes: number): string => String(Number((minutes / 60).toFixed(2)));

interface StoredCalendar {
  name: string;
  timeZone: string;
  alwaysOpen?: boolean | null;
  weekly?: ReadonlyArray<{ day: number; from: string; to: string }> | null;
  holidays?: ReadonlyArray<{ date: string; name?: string | null }> | null;
  closures?: ReadonlyArray<{ from: Date; to: Date; reason?: string | null }> | null;
}

export function calendarFormValues(doc: StoredCalendar | null, fallbackZone: string): Record<string, string> {
  const values: Record<string, string> = {};
  if (!doc) {
    values.name = 'Business hours';
    values.timeZone = fallbackZone;
    for (const d of weekdays) values[`hours.${d}`] = d <= 5 ? '09:00-18:00' : '';
    values.holidays = '';
    values.closures = '';
    return values;
  }
  values.name = doc.name;
  values.timeZone = doc.timeZone;
  values.alwaysOpen = doc.alwaysOpen ? 'true' : '';
  for (const d of weekdays)
    values[`hours.${d}`] = (doc.weekly ?? [])
      .filter((w) => w.day === d)
      .map((w) => `${w.from}-${w.to}`)
      .join(', ');
  values.holidays = (doc.holidays ?? []).map((h) => `${h.date}${h.name ? ` ${h.name}` : ''}`).join('\n');
  values.closures = (doc.closures ?? [])
    .map((c) => {
      const from = DateTime.fromJSDate(new Date(c.from), { zone: doc.timeZone });
      const to = DateTime.fromJSDate(new Date(c.to), { zone: doc.timeZone });
      const sameDay = from.toISODate() === to.toISODate();
      const end = sameDay ? to.toFormat('HH:mm') : to.toFormat('yyyy-MM-dd HH:mm');
      return `${from.toFormat('yyyy-MM-dd HH:mm')} - ${end}${c.reason ? ` ${c.reason}` : ''}`;
    })
    .join('\n');
  return values;
}

export function policyFormValues(policy: PolicyDoc | null): Record<string, string> {
  const values: Record<string, string> = {};
  for (const t of policy?.targets ?? []) {
    values[targetField(t.type, t.priority, 'firstResponse')] = hoursText(t.firstResponseMinutes);
    values[targetField(t.type, t.priority, 'resolution')] = hoursText(t.resolutionMinutes);
  }
  values.warnAt = (policy?.warnAt ?? [75, 90]).join(', ');
  values.raisePriority = policy?.escalation?.raisePriority ? 'true' : '';
  values.notifyClient = policy?.escalation?.notifyClient ? 'true' : '';
  values.csatOptOut = policy?.csatOptOut ? 'true' : '';
  return values;
}
