import type { Types } from 'mongoose';
import { formatBytes, formatDateTime } from '../i18n/format.js';
import { t, type Locale } from '../i18n/i18n.js';
import type { TimelineEntryView } from './events.js';

interface EntrySource {
  _id: Types.ObjectId;
  kind: string;
  visibility: string;
  at: Date;
  author?: { name?: string | null } | null;
  body?: string | null;
  data?: unknown;
  attachmentIds?: Types.ObjectId[] | null;
}

interface FileSource {
  _id: Types.ObjectId;
  filename: string;
  size: number;
}


/**
 * What views/tickets/show.hbs prints for each entry, as data with the texts translated for the
 * reader, so the page script draws a live entry exactly like a rendered one.
 */
function summaryOf(entry: EntrySource, locale: Locale): TimelineEntryView['summary'] {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
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
    case 'fields': {
      const changes = Array.isArray(data.changes) ? (data.changes as Array<{ field?: unknown }>) : [];
      return {
        style: 'list',
        lines: changes.map((c) => t(locale, 'timeline.field_changed', { field: text(c.field) })),
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
    default:
      return null;
  }
}

export function timelineView(
  entries: EntrySource[],
  files: FileSource[],
  locale: Locale,
  timeZone: string,
): TimelineEntryView[] {
  const byId = new Map(files.map((f) => [String(f._id), f]));
  return entries.map((e) => ({
    id: String(e._id),
    kind: e.kind,
    visibility: e.visibility === 'internal' ? 'internal' : 'public',
    at: e.at.toISOString(),
    atText: formatDateTime(e.at, locale, timeZone),
    author: e.author?.name ?? '',
    internalLabel: e.visibility === 'internal' ? t(locale, 'tickets.internal') : null,
    summary: summaryOf(e, locale),
    body: e.body ?? '',
    files: (e.attachmentIds ?? [])
      .map((id) => byId.get(String(id)))
      .filter((f): f is FileSource => Boolean(f))
      .map((f) => ({ id: String(f._id), filename: f.filename, sizeText: formatBytes(f.size, locale) })),
  }));
}
