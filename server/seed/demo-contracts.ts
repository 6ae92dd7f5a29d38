import { SlaCalendar } from '../../models/sla-calendar.js';
import { SlaPolicy } from '../../models/sla-policy.js';
import { Tenant } from '../../models/tenant.js';
import { priorities, ticketTypes, type Priority, type TicketType } from '../../models/ticket.js';

/**
 * Demo SLA contracts: business hours with the public holidays of 2026 and 2027, and one policy
 * (version 1) per demo tenant. Idempotent: a tenant that already has a calendar or a policy keeps
 * it (the unique indexes also settle two seeds running at once).
 */

/** Easter Sunday (Gregorian, anonymous algorithm) as [month, day]. */
export function easterSunday(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

const iso = (d: Date): string => d.toISOString().slice(0, 10);
/** The date `offset` days after Easter Sunday of `year`, 'YYYY-MM-DD'. */
function fromEaster(year: number, offset: number): string {
  const [month, day] = easterSunday(year);
  return iso(new Date(Date.UTC(year, month - 1, day + offset)));
}

export function italianHolidays(year: number): Array<{ date: string; name: string }> {
  return [
    { date: `${year}-01-01`, name: 'Capodanno' },
    { date: `${year}-01-06`, name: 'Epifania' },
    { date: fromEaster(year, 1), name: 'Lunedì dell’Angelo (Pasquetta)' },
    { date: `${year}-04-25`, name: 'Festa della Liberazione' },
    { date: `${year}-05-01`, name: 'Festa del Lavoro' },
    { date: `${year}-06-02`, name: 'Festa della Repubblica' },
    { date: `${year}-08-15`, name: 'Ferragosto' },
    { date: `${year}-11-01`, name: 'Ognissanti' },
    { date: `${year}-12-08`, name: 'Immacolata Concezione' },
    { date: `${year}-12-25`, name: 'Natale' },
    { date: `${year}-12-26`, name: 'Santo Stefano' },
  ].sort((a, b) => a.date.localeCompare(b.date));
}

export function danishHolidays(year: number): Array<{ date: string; name: string }> {
  return [
    { date: `${year}-01-01`, name: 'Nytårsdag' },
    { date: fromEaster(year, -3), name: 'Skærtorsdag' },
    { date: fromEaster(year, -2), name: 'Langfredag' },
    { date: fromEaster(year, 0), name: 'Påskedag' },
    { date: fromEaster(year, 1), name: '2. påskedag' },
    { date: fromEaster(year, 39), name: 'Kristi himmelfartsdag' },
    { date: fromEaster(year, 49), name: 'Pinsedag' },
    { date: fromEaster(year, 50), name: '2. pinsedag' },
    { date: `${year}-06-05`, name: 'Grundlovsdag' },
    { date: `${year}-12-24`, name: 'Juleaftensdag' },
    { date: `${year}-12-25`, name: 'Juledag' },
    { date: `${year}-12-26`, name: '2. juledag' },
  ].sort((a, b) => a.date.localeCompare(b.date));
}

type Day = 1 | 2 | 3 | 4 | 5 | 6 | 7;
const hours = (days: Day[], from: string, to: string) => days.map((day) => ({ day, from, to }));

/** Targets in business hours: [first response, resolution] per priority. */
type Grid = Record<Priority, [number, number]>;

/**
 * `week`: the tenant's business hours in a week (5 business days). Invoices are stricter on
 * resolution (supplier payment deadlines); complaints answer sooner.
 */
function targets(week: number) {
  const base: Grid = { urgent: [1, 8], high: [2, 16], normal: [4, 24], low: [16, week] };
  const byType: Record<TicketType, Grid> = {
    data_entry: base,
    complaint: { ...base, normal: [3, 24], low: [8, week] },
    invoice: { urgent: [1, 4], high: [2, 8], normal: [4, 16], low: [16, 24] },
  };
  return ticketTypes.flatMap((type) =>
    priorities.map((priority) => {
      const [firstResponse, resolution] = byType[type][priority];
      return { type, priority, firstResponseMinutes: firstResponse * 60, resolutionMinutes: resolution * 60 };
    }),
  );
}

const demoContracts = [
  {
    code: 'acme',
    calendar: {
      name: 'Orario d’ufficio Milano',
      timeZone: 'Europe/Rome',
      alwaysOpen: false,
      weekly: hours([1, 2, 3, 4, 5], '09:00', '18:00'),
      holidays: [...italianHolidays(2026), ...italianHolidays(2027)],
      closures: [],
    },
    targets: targets(45),
    escalation: { raisePriority: true, notifyClient: false },
  },
  {
    code: 'nordhavn',
    calendar: {
      name: 'Kontortid København',
      timeZone: 'Europe/Copenhagen',
      alwaysOpen: false,
      weekly: [...hours([1, 2, 3, 4], '08:00', '16:00'), ...hours([5], '08:00', '15:30')],
      holidays: [...danishHolidays(2026), ...danishHolidays(2027)],
      closures: [],
    },
    targets: targets(39.5),
    escalation: { raisePriority: true, notifyClient: true },
  },
];

const isDuplicate = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;
const seededBy = { id: null, name: 'Demo data' };

/** Business hours and a version-1 policy for the demo tenants that have none yet. */
export async function seedContracts(): Promise<{ calendars: number; policies: number }> {
  let calendars = 0;
  let policies = 0;
  for (const demo of demoContracts) {
    const tenant = await Tenant.findOne({ code: demo.code }).lean();
    if (!tenant) continue;
    let calendar = await SlaCalendar.findOne({ tenantId: tenant._id }).lean();
    if (!calendar) {
      try {
        calendar = (
          await SlaCalendar.create({ tenantId: tenant._id, ...demo.calendar, updatedBy: seededBy })
        ).toObject();
        calendars++;
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        calendar = await SlaCalendar.findOne({ tenantId: tenant._id }).lean();
      }
    }
    let policy = await SlaPolicy.findOne({ tenantId: tenant._id })
      .sort({ version: -1 })
      .select({ _id: 1 })
      .lean();
    if (!policy && calendar) {
      try {
        policy = (
          await SlaPolicy.create({
            tenantId: tenant._id,
            version: 1,
            calendarId: calendar._id,
            targets: demo.targets,
            warnAt: [75, 90],
            escalation: demo.escalation,
            createdBy: seededBy,
          })
        ).toObject();
        policies++;
      } catch (err) {
        if (!isDuplicate(err)) throw err;
      }
    }
    const refs: Record<string, string> = {};
    if (calendar && !tenant.calendarRef) refs.calendarRef = String(calendar._id);
    if (policy && !tenant.contractRef) refs.contractRef = String(policy._id);
    if (Object.keys(refs).length) await Tenant.updateOne({ _id: tenant._id }, { $set: refs });
  }
  return { calendars, policies };
}
