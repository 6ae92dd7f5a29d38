import type { Types } from 'mongoose';
import { formatBytes, formatDate, formatDateTime, formatNumber, intlLocaleOf } from '../../i18n/format.js';
import { t, type Locale } from '../../i18n/i18n.js';

/**
 * The one presenter of a ticket's history: what the ticket page prints for each entry (through
 * views/partials/timeline-entry.hbs) and what a live update hands the page script
 * (public/js/ticket.js draws the same view model the same way). Texts are translated for the
 * reader, values formatted in their locale and the tenant's time zone.
 */
export interface TimelineEntryView {
  id: string;
  kind: string;
  visibility: 'public' | 'internal';
  /** ISO 8601; the page asks for entries since the latest one it shows. */
  at: string;
  atText: string;
  author: string;
  internalLabel: string | null;
  /** The line(s) printed for status, field, assignment, SLA and creation entries. */
  summary: { style: 'muted' | 'plain' | 'list'; lines: string[] } | null;
  body: string;
  files: Array<{ id: string; filename: string; sizeText: string }>;
}

export interface EntrySource {
  _id: Types.ObjectId;
  kind: string;
  visibility: string;
  at: Date;
  author?: { name?: string | null; kind?: string | null } | null;
  body?: string | null;
  data?: unknown;
  attachmentIds?: Types.ObjectId[] | null;
}

export interface FileSource {
  _id: Types.ObjectId;
  filename: string;
  size: number;
}

/** What of the ticket the presenter needs to format values (an amount's currency). */
export interface TicketSource {
  fields?: unknown;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const empty = (locale: Locale): string => t(locale, 'history.empty_value');

/** Fields whose values are codes of a list, and the catalogue part that names them. */
const choiceLists: Record<string, string> = {
  priority: 'priorities',
  approvalOutcome: 'approval',
  channel: 'complaint_channels',
  severity: 'severities',
  status: 'ticket_status',
  type: 'ticket_types',
};
const numberFields = new Set(['expectedRecordCount', 'recordsCompleted', 'errorCount']);
const dateFields = new Set(['issueDate', 'dueDate']);

function money(amount: number, currency: string, locale: Locale): string {
  try {
    return new Intl.NumberFormat(intlLocaleOf(locale), { style: 'currency', currency }).format(amount);
  } catch {
    return `${formatNumber(amount, locale)} ${currency}`;
  }
}

/** One value of a field, as a person reads it. */
export function fieldValueText(
  name: string,
  value: unknown,
  locale: Locale,
  ticket: TicketSource = {},
): string {
  const empty = t(locale, 'history.empty_value');
  if (value === null || value === undefined || value === '') return empty;
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : empty;
  if (choiceLists[name])
    return t(locale, `${choiceLists[name]}.${String(value)}`, { defaultValue: String(value) });
  if (name === 'amount' && typeof value === 'number') {
    const currency = text((ticket.fields as Record<string, unknown> | undefined)?.currency);
    return currency ? money(value, currency, locale) : formatNumber(value, locale);
  }
  if (numberFields.has(name) && typeof value === 'number') return formatNumber(value, locale);
  if (dateFields.has(name) && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
    return formatDate(`${value}T12:00:00Z`, locale, 'UTC');
  if (typeof value === 'number') return formatNumber(value, locale);
  if (typeof value === 'boolean') return t(locale, value ? 'history.yes' : 'history.no');
  return String(value);
}

/** A field's label: `fields.approvalOutcome` and `priority` both read as the catalogue names them. */
export function fieldLabel(field: string, locale: Locale): string {
  const name = field.startsWith('fields.') ? field.slice(7) : field;
  // The status is no type field: it reads as the forms name it.
  return t(locale, `ticket_fields.${name}`, {
    defaultValue: t(locale, `fields.${name}`, { defaultValue: name }),
  });
}

/** Who an entry is attributed to: a person's name, or the system part in the reader's language. */
function authorText(entry: EntrySource, locale: Locale): string {
  const name = entry.author?.name ?? '';
  if (entry.kind === 'sla') return t(locale, 'history.authors.sla');
  if (entry.author?.kind !== 'system') return name;
  if (/^sla[.\s-]/i.test(name)) return t(locale, 'history.authors.sla');
  if (/^mail[.\s-]/i.test(name)) return t(locale, 'history.authors.mail');
  return t(locale, 'history.authors.system');
}

/** The lines of a list of changes ({field, from, to}), each side formatted for the reader. */
function changeLines(list: unknown, locale: Locale, ticket: TicketSource): string[] {
  const changes = Array.isArray(list)
    ? (list as Array<{ field?: unknown; from?: unknown; to?: unknown }>)
    : [];
  // An amount changed together with its currency reads each side in its own currency.
  const currency = changes.find((c) => c.field === 'fields.currency');
  const fieldsNow = (ticket.fields ?? {}) as Record<string, unknown>;
  const before: TicketSource = currency ? { fields: { ...fieldsNow, currency: currency.from } } : ticket;
  const after: TicketSource = currency ? { fields: { ...fieldsNow, currency: currency.to } } : ticket;
  return changes.map((c) => {
    const field = text(c.field);
    const name = field.startsWith('fields.') ? field.slice(7) : field;
    return t(locale, 'history.field_change', {
      field: fieldLabel(field, locale),
      from: fieldValueText(name, c.from, locale, before),
      to: fieldValueText(name, c.to, locale, after),
    });
  });
}

/** A satisfaction rating (server/domain/tickets/rate-resolution.ts): the score, and whether it has a comment. */
function csatSummary(data: Record<string, unknown>, locale: Locale): TimelineEntryView['summary'] {
  const key = data.hasComment === true ? 'csat.timeline_comment' : 'csat.timeline';
  const score = typeof data.score === 'number' ? formatNumber(data.score, locale) : '';
  return { style: 'plain', lines: [t(locale, key, { score })] };
}

/** Closed as a duplicate or merged (close-as-duplicate.ts, merge-tickets.ts): which ticket, which way. */
function linkSummary(data: Record<string, unknown>, locale: Locale): TimelineEntryView['summary'] {
  return {
    style: 'plain',
    lines: [t(locale, `duplicates.timeline.${text(data.action)}`, { number: text(data.number) })],
  };
}

/** An e-invoice's gate (einvoices/override-finding.ts, approval-gate.ts): an error overridden, warnings accepted. */
function gateSummary(data: Record<string, unknown>, locale: Locale): TimelineEntryView['summary'] {
  if (data.action === 'finding_overridden')
    return {
      style: 'list',
      lines: [
        t(locale, 'einvoice_gate.timeline.finding_overridden', { rule: text(data.rule) }),
        t(locale, 'einvoice_gate.timeline.reason', { reason: text(data.reason) }),
      ],
    };
  const count = typeof data.count === 'number' ? data.count : 0;
  return { style: 'plain', lines: [t(locale, 'einvoice_gate.timeline.warnings_accepted', { count })] };
}

/** The records of a data-entry ticket (quality/keying-timeline.ts): finished, judged, settled. */
function keyingSummary(data: Record<string, unknown>, locale: Locale): TimelineEntryView['summary'] {
  const num = (v: unknown) => (typeof v === 'number' ? formatNumber(v, locale) : '');
  const action = text(data.action);
  const key = action === 'finished' && typeof data.round === 'number' && data.round > 1 ? 'reworked' : action;
  return {
    style: 'plain',
    lines: [
      t(locale, `double.timeline.${key}`, {
        round: num(data.round),
        next: typeof data.round === 'number' ? num(data.round + 1) : '',
        records: num(data.records),
        sample: num(data.sample),
        seq: num(data.seq),
        count: typeof data.fields === 'number' ? data.fields : 0,
      }),
    ],
  };
}

function summaryOf(entry: EntrySource, locale: Locale, ticket: TicketSource): TimelineEntryView['summary'] {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  switch (entry.kind) {
    case 'created':
      return {
        style: 'muted',
        lines: [t(locale, 'timeline.created', { channel: t(locale, `channels.${text(data.channel)}`) })],
      };
    case 'status':
      return {
        style: 'plain',
        lines: [
          t(locale, 'timeline.status', {
            from: t(locale, `ticket_status.${text(data.from)}`),
            to: t(locale, `ticket_status.${text(data.to)}`),
          }),
        ],
      };
    case 'fields':
      return { style: 'list', lines: changeLines(data.changes, locale, ticket) };
    case 'reply': {
      // A macro's reply records the macro and the changes it made with it (domain/macros/).
      const macro = data.macro as { name?: unknown } | undefined;
      if (!macro) return null;
      return {
        style: 'list',
        lines: [
          t(locale, 'macros.timeline.applied', { name: text(macro.name) }),
          ...changeLines(data.changes, locale, ticket),
        ],
      };
    }
    case 'assignment':
      return {
        style: 'plain',
        lines: [
          t(locale, `timeline.assignment_${text(data.action)}`, {
            name: text(data.to),
            from: text(data.from),
          }),
        ],
      };
    case 'approval': {
      if (data.action) return gateSummary(data, locale);
      // A four-eyes decision (four-eyes.ts): what was decided, on what amount, who keyed it.
      const amount =
        typeof data.amount === 'number' ? money(data.amount, text(data.currency), locale) : empty(locale);
      // `override: true` only in entries of the removed admin override of four eyes, which exist in
      // databases: `four_eyes.timeline.override` (en/it/da) stays for them.
      const what = data.override === true ? 'override' : text(data.outcome);
      const lines = [
        t(locale, `four_eyes.timeline.${what}`, { amount, maker: text(data.maker) || empty(locale) }),
      ];
      if (text(data.reason))
        lines.push(t(locale, 'four_eyes.timeline.reason', { reason: text(data.reason) }));
      return { style: 'list', lines };
    }
    case 'link':
      return linkSummary(data, locale);
    case 'sla':
      return {
        style: 'plain',
        lines: [
          t(locale, `timeline.sla_${text(data.kind)}`, {
            threshold: typeof data.threshold === 'number' ? formatNumber(data.threshold, locale) : '',
            target: t(locale, `sla_targets.${text(data.target)}`),
          }),
        ],
      };
    case 'csat':
      return csatSummary(data, locale);
    case 'keying':
      return keyingSummary(data, locale);
    default:
      return null;
  }
}

export function timelineView(
  entries: EntrySource[],
  files: FileSource[],
  locale: Locale,
  timeZone: string,
  ticket: TicketSource = {},
): TimelineEntryView[] {
  const byId = new Map(files.map((f) => [String(f._id), f]));
  return entries.map((e) => ({
    id: String(e._id),
    kind: e.kind,
    visibility: e.visibility === 'internal' ? 'internal' : 'public',
    at: e.at.toISOString(),
    atText: formatDateTime(e.at, locale, timeZone),
    author: authorText(e, locale),
    internalLabel: e.visibility === 'internal' ? t(locale, 'tickets.internal') : null,
    summary: summaryOf(e, locale, ticket),
    body: e.body ?? '',
    files: (e.attachmentIds ?? [])
      .map((id) => byId.get(String(id)))
      .filter((f): f is FileSource => Boolean(f))
      .map((f) => ({ id: String(f._id), filename: f.filename, sizeText: formatBytes(f.size, locale) })),
  }));
}
