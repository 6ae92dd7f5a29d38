import { priorities, ticketTypes } from '../../../models/ticket.js';
import { slaTargets, type SlaTarget } from '../sla/clock.js';
import { ageingBuckets, type AgeingBucket, type Scan } from './report-scan.js';
import { blankPair, combined, percentile, type Pair, type Tally } from './report-tally.js';

/** The tables of an SLA report, built from its scan. */

export const reportTables = [
  'compliance',
  'breaches',
  'volumes',
  'times',
  'ageing',
  'trend',
  'accuracy',
] as const;
export type ReportTable = (typeof reportTables)[number];

export interface ComplianceRow {
  scope: 'overall' | 'type' | 'priority';
  key: string;
  firstResponse: Tally;
  resolution: Tally;
  combined: Tally;
}
export interface TimeRow {
  target: SlaTarget;
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}
export interface AgeingRow {
  bucket: AgeingBucket;
  count: number;
}
export interface TrendRow {
  period: 'previous' | 'current';
  week: string;
  opened: number;
  firstResponse: Tally;
  resolution: Tally;
}
const complianceRow = (scope: ComplianceRow['scope'], key: string, p: Pair): ComplianceRow => ({
  scope,
  key,
  firstResponse: p.firstResponse,
  resolution: p.resolution,
  combined: combined(p),
});

/** Compliance overall, per ticket type and per priority. */
export function complianceTable(scan: Scan): ComplianceRow[] {
  return [
    complianceRow('overall', 'all', scan.current.overall),
    ...ticketTypes.map((type) => complianceRow('type', type, scan.current.byType.get(type) ?? blankPair())),
    ...priorities.map((priority) =>
      complianceRow('priority', priority, scan.current.byPriority.get(priority) ?? blankPair()),
    ),
  ];
}

/** Median and p90 business times of the targets met in the period. */
export function timesTable(scan: Scan): TimeRow[] {
  return slaTargets.map((target) => {
    const values = scan.times[target];
    const med = percentile(values, 50);
    const p90 = percentile(values, 90);
    return {
      target,
      count: values.length,
      medianSeconds: med === null ? null : Math.round(med),
      p90Seconds: p90 === null ? null : Math.round(p90),
    };
  });
}

export function ageingTable(scan: Scan): AgeingRow[] {
  return ageingBuckets.map((bucket) => ({ bucket, count: scan.ageing.get(bucket) ?? 0 }));
}

/** Per ISO week, the previous period's weeks first. */
export function trendTable(scan: Scan): TrendRow[] {
  const { openedWeekly } = scan;
  const weeks = new Set([...scan.weekly.keys(), ...openedWeekly.keys()]);
  return [...weeks]
    .map((k) => {
      const [p, week] = k.split('|') as ['previous' | 'current', string];
      const pair = scan.weekly.get(k) ?? blankPair();
      return {
        period: p,
        week,
        opened: openedWeekly.get(k) ?? 0,
        firstResponse: pair.firstResponse,
        resolution: pair.resolution,
      };
    })
    .sort((a, b) =>
      a.period === b.period ? a.week.localeCompare(b.week) : a.period === 'previous' ? -1 : 1,
    );
}
