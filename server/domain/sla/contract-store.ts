import { Types } from 'mongoose';
import { SlaCalendar } from '../../../models/sla-calendar.js';
import { SlaPolicy, type SlaPolicyDoc } from '../../../models/sla-policy.js';
import type { Priority, TicketType } from '../../../models/ticket.js';
import { ReadCache } from '../read-cache.js';
import type { BusinessCalendar } from './business-time.js';

/**
 * SLA contracts as the clock and the sweep read them: a tenant's business-hours calendar (one,
 * edited in place) and its SLA policy (versioned: each save is a new immutable version, tickets
 * keep the version they were opened under). System functions (no ctx), cached per tenant.
 */

export type PolicyDoc = SlaPolicyDoc;
export interface Targets {
  firstResponseSeconds: number;
  resolutionSeconds: number;
}

export const weekdays = [1, 2, 3, 4, 5, 6, 7] as const;
export type Weekday = (typeof weekdays)[number];

export const isObjectIdHex = (id: string): boolean => /^[0-9a-f]{24}$/i.test(id);

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
