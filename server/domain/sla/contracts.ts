import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import { z } from 'zod';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy, type SlaPolicyDoc } from '../../../models/sla-policy.js';
import { ReadCache } from '../read-cache.js';
import { Tenant } from '../../../models/tenant.js';
import { priorities, ticketTypes, type Priority, type TicketType } from '../../../models/ticket.js';
import { AppError, notFound, type FieldError } from '../../errors/app-error.js';
import { fieldsFromZod } from '../../errors/normalize.js';
import { recordAudit } from '../audit/audit.js';
import { requirePermission } from '../auth/policy.js';
import type { Ctx } from '../context.js';
import { listTenants } from '../tenants/tenants.js';
import { withTenant } from '../tenants/scope.js';
import { clockMinutes, type BusinessCalendar } from './business-time.js';

/**
 * SLA contracts: a tenant's business-hours calendar (one, edited in place) and its SLA policy
 * (versioned: each save is a new immutable version, tickets keep the version they were opened
 * under). System functions (no ctx) serve the ticket clock and the sweep; ctx functions serve
 * the pages of account managers and admins (permission `sla.manage`, tenants of their portfolio).
 */

export type PolicyDoc = SlaPolicyDoc;
export interface Targets {
  firstResponseSeconds: number;
  resolutionSeconds: number;
}

export const weekdays = [1, 2, 3, 4, 5, 6, 7] as const;
export type Weekday = (typeof weekdays)[number];

const isObjectIdHex = (id: string): boolean => /^[0-9a-f]{24}$/i.test(id);

// ---------------------------------------------------------------------------------------------
// System side: what the clock and the sweep read.

interface CalendarLike {
  timeZone: string;
  alwaysOpen?: boolean | null;
  weekly?: ReadonlyArray<{ day: number; from: string; to: string }> | null;
  holidays?: ReadonlyArray<{ date: string } | string> | null;
  closures?: ReadonlyArray<{ from: Date; to: Date }> | null;
}

/** The stored calendar as business-time arithmetic wants it. */
export function toBusinessCalendar(doc: CalendarLike): BusinessCalendar {
  return {
    timeZone: doc.timeZone,
    alwaysOpen: doc.alwaysOpen === true,
    weekly: (doc.weekly ?? []).map(({ day, from, to }) => ({ day: day as Weekday, from, to })),
    holidays: (doc.holidays ?? []).map((h) => (typeof h === 'string' ? h : h.date)),
    closures: (doc.closures ?? []).map(({ from, to }) => ({ from: new Date(from), to: new Date(to) })),
  };
}

/**
 * Calendars and which policy version is current are read for every new ticket and by every
 * sweep: a few seconds of cache per tenant (see ReadCache). A save on this node forgets the
 * tenant's entries; other nodes use the change within CONTRACT_CACHE_TTL_MS.
 */
const CONTRACT_CACHE_TTL_MS = 5_000;
const calendars = new ReadCache<BusinessCalendar | null>(CONTRACT_CACHE_TTL_MS);
const currentPolicies = new ReadCache<PolicyDoc | null>(CONTRACT_CACHE_TTL_MS);

export async function calendarOf(tenantId: string): Promise<BusinessCalendar | null> {
  const id = String(tenantId);
  if (!isObjectIdHex(id)) return null;
  return calendars.get(id, async () => {
    const doc = await SlaCalendar.findOne({ tenantId: new Types.ObjectId(id) }).lean();
    return doc ? toBusinessCalendar(doc) : null;
  });
}

/** Forget cached calendars and current policies (one tenant's, or all). */
export function forgetContract(tenantId?: string): void {
  const id = tenantId === undefined ? undefined : String(tenantId);
  calendars.forget(id);
  currentPolicies.forget(id);
}

/** The tenant's newest policy version, or null when it has none. */
export async function currentPolicy(tenantId: string): Promise<PolicyDoc | null> {
  const id = String(tenantId);
  if (!isObjectIdHex(id)) return null;
  return currentPolicies.get(
    id,
    async () =>
      (await SlaPolicy.findOne({ tenantId: new Types.ObjectId(id) })
        .sort({ version: -1 })
        .lean()) as PolicyDoc | null,
  );
}

/** Versions never change once written, so a found one is kept (bounded). */
const versionCache = new Map<string, PolicyDoc>();

export async function policyVersion(tenantId: string, version: number): Promise<PolicyDoc | null> {
  const id = String(tenantId);
  if (!isObjectIdHex(id) || !Number.isInteger(version)) return null;
  const key = `${id}:${version}`;
  const hit = versionCache.get(key);
  if (hit) return hit;
  const doc = (await SlaPolicy.findOne({
    tenantId: new Types.ObjectId(id),
    version,
  }).lean()) as PolicyDoc | null;
  if (doc) {
    if (versionCache.size >= 2_000) versionCache.clear();
    versionCache.set(key, doc);
  }
  return doc;
}

interface PolicyLike {
  targets?: ReadonlyArray<{
    type: string;
    priority: string;
    firstResponseMinutes: number;
    resolutionMinutes: number;
  }> | null;
}

/** The targets of one ticket type and priority, in seconds of business time; null if the policy has none. */
export function targetFor(
  policy: PolicyLike,
  type: TicketType | string,
  priority: Priority | string,
): Targets | null {
  const target = (policy.targets ?? []).find((t) => t.type === type && t.priority === priority);
  if (!target) return null;
  return {
    firstResponseSeconds: Math.round(target.firstResponseMinutes * 60),
    resolutionSeconds: Math.round(target.resolutionMinutes * 60),
  };
}

// ---------------------------------------------------------------------------------------------
// Input: the pages' form fields, parsed with every error at once (one transform, field paths
// as the form names them) and messages under `sla.errors.*`.

/** Issue params: a full translation key (`sla.errors.x`, `validation.x`) and its parameters. */
type Issue = { path: string; key: string; params?: Record<string, string | number> };

function report(ctx: z.RefinementCtx, issue: Issue): void {
  ctx.addIssue({
    code: 'custom',
    path: [issue.path],
    message: issue.key,
    params: { key: issue.key, ...(issue.params ?? {}) },
  });
}

export function isTimeZone(tz: string): boolean {
  if (!tz || !/^[A-Za-z_+\-/0-9]+$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const checked = (v: unknown): boolean => v === true || v === 'true' || v === 'on' || v === '1';
const text = (max: number) => z.string().max(max).optional();
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const isDate = (s: string): boolean => DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
/** 'H:mm' or 'HH:mm' as 'HH:mm' (or null). */
const normalClock = (s: string): string | null => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const value = `${(m[1] as string).padStart(2, '0')}:${m[2] as string}`;
  return clockMinutes(value) === null ? null : value;
};
const lines = (s: string | undefined): Array<{ line: number; text: string }> =>
  (s ?? '')
    .split(/\r?\n/)
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter((l) => l.text !== '');

export interface CalendarInput {
  name: string;
  timeZone: string;
  alwaysOpen: boolean;
  weekly: Array<{ day: Weekday; from: string; to: string }>;
  holidays: Array<{ date: string; name: string }>;
  closures: Array<{ from: Date; to: Date; reason: string }>;
}

/** One day's hours: '09:00-13:00, 14:00-18:00' (empty: closed). */
function parseDayHours(raw: string): { ranges: Array<{ from: string; to: string }> } | { error: string } {
  const parts = raw
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean);
  const ranges: Array<{ from: string; to: string; a: number; b: number }> = [];
  for (const part of parts) {
    const m = /^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$/.exec(part);
    const from = m ? normalClock(m[1] as string) : null;
    const to = m ? normalClock(m[2] as string) : null;
    if (!from || !to || from === '24:00') return { error: 'sla.errors.hours_format' };
    const a = clockMinutes(from) as number;
    const b = clockMinutes(to) as number;
    if (b <= a) return { error: 'sla.errors.hours_reversed' };
    ranges.push({ from, to, a, b });
  }
  ranges.sort((x, y) => x.a - y.a);
  for (let i = 1; i < ranges.length; i++)
    if ((ranges[i] as { a: number }).a < (ranges[i - 1] as { b: number }).b)
      return { error: 'sla.errors.hours_overlap' };
  return { ranges: ranges.map(({ from, to }) => ({ from, to })) };
}

/** A local date and time in a zone ('24:00' is the next day's midnight), or null. */
function localInstant(date: string, time: string, zone: string): Date | null {
  if (!isDate(date)) return null;
  const clock = normalClock(time);
  if (!clock) return null;
  const base = DateTime.fromISO(date, { zone });
  const dt = clock === '24:00' ? base.plus({ days: 1 }) : DateTime.fromISO(`${date}T${clock}`, { zone });
  return dt.isValid ? dt.toJSDate() : null;
}

const MAX_HOLIDAYS = 400;
const MAX_CLOSURES = 200;

export const calendarInputSchema = z
  .object({
    name: text(200),
    timeZone: text(100),
    alwaysOpen: z.union([z.string(), z.boolean()]).optional(),
    ...(Object.fromEntries(weekdays.map((d) => [`hours.${d}`, text(200)])) as Record<
      `hours.${Weekday}`,
      ReturnType<typeof text>
    >),
    holidays: text(40_000),
    closures: text(40_000),
  })
  .transform((raw, ctx): CalendarInput => {
    const name = (raw.name ?? '').trim();
    if (!name) report(ctx, { path: 'name', key: 'validation.required' });
    else if (name.length > 100)
      report(ctx, { path: 'name', key: 'validation.too_long', params: { max: 100 } });
    const timeZone = (raw.timeZone ?? '').trim();
    const zoneOk = isTimeZone(timeZone);
    if (!zoneOk)
      report(ctx, { path: 'timeZone', key: timeZone ? 'sla.errors.time_zone' : 'validation.required' });
    const alwaysOpen = checked(raw.alwaysOpen);

    const weekly: CalendarInput['weekly'] = [];
    for (const day of weekdays) {
      const parsed = parseDayHours(raw[`hours.${day}`] ?? '');
      if ('error' in parsed) report(ctx, { path: `hours.${day}`, key: parsed.error });
      else for (const r of parsed.ranges) weekly.push({ day, ...r });
    }
    if (!alwaysOpen && weekly.length === 0 && weekdays.every((d) => !(raw[`hours.${d}`] ?? '').trim()))
      report(ctx, { path: 'hours.1', key: 'sla.errors.no_hours' });

    const holidays: CalendarInput['holidays'] = [];
    const holidayLines = lines(raw.holidays);
    if (holidayLines.length > MAX_HOLIDAYS)
      report(ctx, { path: 'holidays', key: 'sla.errors.too_many_lines', params: { max: MAX_HOLIDAYS } });
    const seen = new Set<string>();
    for (const { line, text: entry } of holidayLines) {
      const m = /^(\d{4}-\d{2}-\d{2})(?:\s*[:\-–—]\s*|\s+|$)(.*)$/.exec(entry);
      const date = m?.[1] ?? '';
      if (!m || !isDate(date)) {
        report(ctx, {
          path: 'holidays',
          key: 'sla.errors.holiday_line',
          params: { line, text: entry.slice(0, 40) },
        });
        break;
      }
      if (seen.has(date)) {
        report(ctx, { path: 'holidays', key: 'sla.errors.holiday_duplicate', params: { line, date } });
        break;
      }
      seen.add(date);
      holidays.push({ date, name: (m?.[2] ?? '').trim().slice(0, 100) });
    }
    holidays.sort((a, b) => a.date.localeCompare(b.date));

    const closures: CalendarInput['closures'] = [];
    const closureLines = lines(raw.closures);
    if (closureLines.length > MAX_CLOSURES)
      report(ctx, { path: 'closures', key: 'sla.errors.too_many_lines', params: { max: MAX_CLOSURES } });
    for (const { line, text: entry } of closureLines) {
      // 2026-12-31 14:00 - 2027-01-02 09:00 reason, or 2026-12-31 14:00-18:00 reason
      const m =
        /^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–—]\s*(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2}:\d{2})(?:\s+(.*))?$/.exec(
          entry,
        );
      if (!m) {
        report(ctx, { path: 'closures', key: 'sla.errors.closure_line', params: { line } });
        break;
      }
      if (!zoneOk) continue; // the time zone's own error says what to fix first
      const from = localInstant(m[1] as string, m[2] as string, timeZone);
      const to = localInstant(m[3] ?? (m[1] as string), m[4] as string, timeZone);
      if (!from || !to) {
        report(ctx, { path: 'closures', key: 'sla.errors.closure_line', params: { line } });
        break;
      }
      if (to.getTime() <= from.getTime()) {
        report(ctx, { path: 'closures', key: 'sla.errors.closure_reversed', params: { line } });
        break;
      }
      closures.push({ from, to, reason: (m[5] ?? '').trim().slice(0, 200) });
    }
    closures.sort((a, b) => a.from.getTime() - b.from.getTime());
    return { name, timeZone, alwaysOpen, weekly, holidays, closures };
  });

export interface PolicyInput {
  targets: Array<{
    type: TicketType;
    priority: Priority;
    firstResponseMinutes: number;
    resolutionMinutes: number;
  }>;
  warnAt: number[];
  escalation: { raisePriority: boolean; notifyClient: boolean };
  /** The version the editor started from (the form sends it): a save on top of a newer one is refused. */
  baseVersion: number | null;
}

/** Form field names of the target grid. */
export const targetField = (type: string, priority: string, target: 'firstResponse' | 'resolution'): string =>
  `targets.${type}.${priority}.${target}`;

const MAX_TARGET_HOURS = 24 * 366;

/** Hours as typed ('1', '0.5', '1,5') to whole minutes, or an error key. */
function parseHours(raw: string | undefined): { minutes: number } | { error: string } {
  const s = (raw ?? '').trim().replace(',', '.');
  if (!s) return { error: 'validation.required' };
  if (!/^[-+]?\d+(\.\d+)?$|^[-+]?\.\d+$/.test(s)) return { error: 'sla.errors.hours_number' };
  const hours = Number(s);
  if (!Number.isFinite(hours)) return { error: 'sla.errors.hours_number' };
  const minutes = Math.round(hours * 60);
  if (hours <= 0 || minutes < 1) return { error: 'sla.errors.target_positive' };
  if (hours > MAX_TARGET_HOURS) return { error: 'sla.errors.target_too_long' };
  return { minutes };
}

const targetShape = Object.fromEntries(
  ticketTypes.flatMap((type) =>
    priorities.flatMap((priority) =>
      [targetField(type, priority, 'firstResponse'), targetField(type, priority, 'resolution')].map((k) => [
        k,
        text(40),
      ]),
    ),
  ),
) as Record<string, ReturnType<typeof text>>;

export const policyInputSchema = z
  .object({
    ...targetShape,
    warnAt: z.union([z.string().max(200), z.array(z.string().max(20)).max(20)]).optional(),
    raisePriority: z.union([z.string(), z.boolean()]).optional(),
    notifyClient: z.union([z.string(), z.boolean()]).optional(),
    baseVersion: z.union([z.string().max(12), z.number()]).optional(),
  })
  .transform((raw, ctx): PolicyInput => {
    const fields = raw as Record<string, string | undefined>;
    const targets: PolicyInput['targets'] = [];
    for (const type of ticketTypes) {
      for (const priority of priorities) {
        const frPath = targetField(type, priority, 'firstResponse');
        const resPath = targetField(type, priority, 'resolution');
        const fr = parseHours(fields[frPath]);
        const res = parseHours(fields[resPath]);
        if ('error' in fr) report(ctx, { path: frPath, key: fr.error });
        if ('error' in res) report(ctx, { path: resPath, key: res.error });
        if ('minutes' in fr && 'minutes' in res) {
          if (fr.minutes > res.minutes)
            report(ctx, { path: frPath, key: 'sla.errors.response_after_resolution' });
          targets.push({ type, priority, firstResponseMinutes: fr.minutes, resolutionMinutes: res.minutes });
        }
      }
    }
    const warnParts = (Array.isArray(raw.warnAt) ? raw.warnAt.join(',') : (raw.warnAt ?? ''))
      .split(/[\s,;%]+/)
      .filter(Boolean);
    const warnAt: number[] = [];
    for (const part of warnParts) {
      const n = Number(part);
      if (!/^\d+$/.test(part) || n < 1 || n > 99) {
        report(ctx, { path: 'warnAt', key: 'sla.errors.warn_range' });
        break;
      }
      if (!warnAt.includes(n)) warnAt.push(n);
    }
    if (warnAt.length > 5)
      report(ctx, { path: 'warnAt', key: 'sla.errors.warn_too_many', params: { max: 5 } });
    warnAt.sort((a, b) => a - b);
    const base = raw.baseVersion === undefined || raw.baseVersion === '' ? null : Number(raw.baseVersion);
    return {
      targets,
      warnAt,
      escalation: { raisePriority: checked(raw.raisePriority), notifyClient: checked(raw.notifyClient) },
      baseVersion: base !== null && Number.isInteger(base) && base >= 0 ? base : null,
    };
  });

/**
 * Parse with an SLA schema: a failure is a `validation` AppError whose field keys are the full
 * translation keys the schemas name (`sla.errors.*`, `validation.*`), with their parameters.
 */
export function parseContractInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const generic = fieldsFromZod(result.error);
  const fields: FieldError[] = result.error.issues.map((issue, i) => {
    const params = (issue as { params?: Record<string, string | number> }).params;
    if (issue.code === 'custom' && typeof params?.key === 'string') {
      const { key, ...rest } = params;
      return { path: issue.path.map(String).join('.'), key: String(key), params: rest };
    }
    return generic[i] as FieldError;
  });
  // The first message of a field is the one shown (forms keep the last, so put it last).
  const firstPerField = new Map<string, FieldError>();
  for (const f of fields) if (!firstPerField.has(f.path)) firstPerField.set(f.path, f);
  throw new AppError('validation', 'invalid input', { fields: [...firstPerField.values()] });
}

// ---------------------------------------------------------------------------------------------
// Form values: the inverse of the schemas, for showing a stored calendar or policy in the forms.

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
  return values;
}

// ---------------------------------------------------------------------------------------------
// The pages' functions.

/** The tenant a contract page is about: `sla.manage`, and a tenant of the caller's portfolio (else 404). */
async function contractTenant(ctx: Ctx, tenantId: string) {
  requirePermission(ctx, 'sla.manage');
  if (!isObjectIdHex(String(tenantId))) throw notFound('tenant');
  const scoped = withTenant(ctx, String(tenantId));
  const tenant = await Tenant.findById(tenantId).lean();
  if (!tenant) throw notFound('tenant');
  return { scoped, tenant };
}

function actorRef(ctx: Ctx): { id: Types.ObjectId | null; name: string } {
  const actor = ctx.actor;
  if (actor.kind === 'user' || actor.kind === 'api')
    return { id: new Types.ObjectId(actor.userId), name: actor.name };
  return { id: null, name: actor.kind === 'system' ? actor.name : 'anonymous' };
}

const isDuplicate = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 11000;

export async function getContract(ctx: Ctx, tenantId: string) {
  const { tenant } = await contractTenant(ctx, tenantId);
  const [calendar, versions] = await Promise.all([
    SlaCalendar.findOne({ tenantId: tenant._id }).lean(),
    SlaPolicy.find({ tenantId: tenant._id }).sort({ version: -1 }).lean() as Promise<PolicyDoc[]>,
  ]);
  return { tenant, calendar, policy: versions[0] ?? null, versions };
}

export async function listContracts(ctx: Ctx) {
  requirePermission(ctx, 'sla.manage');
  const tenants = await listTenants(ctx);
  if (tenants.length === 0) return [];
  const ids = tenants.map((t) => t._id);
  const [calendars, policies] = await Promise.all([
    SlaCalendar.find({ tenantId: { $in: ids } }).lean(),
    SlaPolicy.find({ tenantId: { $in: ids } })
      .select({ tenantId: 1, version: 1, createdAt: 1, createdBy: 1 })
      .lean(),
  ]);
  return tenants.map((tenant) => {
    const id = String(tenant._id);
    const policy =
      policies.filter((p) => String(p.tenantId) === id).sort((a, b) => b.version - a.version)[0] ?? null;
    return { tenant, calendar: calendars.find((c) => String(c.tenantId) === id) ?? null, policy };
  });
}

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

/**
 * Save the tenant's SLA targets as a new version (previous + 1). The unique index on
 * (tenantId, version) decides concurrent saves: the loser gets a conflict, as does a form
 * started from an older version than the current one. `input`: the form's fields.
 */
export async function savePolicy(ctx: Ctx, tenantId: string, input: unknown): Promise<PolicyDoc> {
  const { tenant } = await contractTenant(ctx, tenantId);
  const data = parseContractInput(policyInputSchema, input);
  const calendar = await SlaCalendar.findOne({ tenantId: tenant._id }).select({ _id: 1 }).lean();
  if (!calendar)
    throw new AppError('conflict', 'save the calendar first', { messageKey: 'sla.calendar_first' });
  const latest = await SlaPolicy.findOne({ tenantId: tenant._id })
    .sort({ version: -1 })
    .select({ version: 1 })
    .lean();
  const current = latest?.version ?? 0;
  if (data.baseVersion !== null && data.baseVersion !== current)
    throw new AppError('conflict', 'a newer policy version exists', {
      messageKey: 'sla.policy_stale',
      params: { version: current },
    });
  let created;
  try {
    created = await SlaPolicy.create({
      tenantId: tenant._id,
      version: current + 1,
      calendarId: calendar._id,
      targets: data.targets,
      warnAt: data.warnAt,
      escalation: data.escalation,
      createdBy: actorRef(ctx),
    });
  } catch (err) {
    if (isDuplicate(err))
      throw new AppError('conflict', 'a concurrent save took this version', {
        messageKey: 'sla.policy_stale',
        params: { version: current + 1 },
        cause: err,
      });
    throw err;
  }
  const policy = created.toObject() as PolicyDoc;
  forgetContract(String(tenant._id));
  await Tenant.updateOne({ _id: tenant._id }, { $set: { contractRef: String(policy._id) } });
  await recordAudit(ctx, {
    action: 'sla.policy_saved',
    tenantId: String(tenant._id),
    targetId: String(policy._id),
    targetLabel: `${tenant.code} v${policy.version}`,
    details: { version: policy.version },
  });
  return policy;
}
