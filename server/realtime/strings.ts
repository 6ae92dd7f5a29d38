import { i18n, type Locale } from '../i18n/i18n.js';

/** Catalogue parts the page scripts draw with: their own texts and the labels of a queue row. */
const subtrees = [
  'live',
  'live_presence',
  'ticket_types',
  'priorities',
  'ticket_status',
  'sla_states',
  'sla_brief',
  'tables',
];
const singles = ['queues.take', 'queues.taken', 'queues.nothing_next', 'queues.empty'];

const cache = new Map<Locale, Record<string, string>>();

function flatten(prefix: string, value: unknown, out: Record<string, string>): void {
  if (typeof value === 'string') out[prefix] = value;
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) flatten(`${prefix}.${k}`, v, out);
}

/** Flat key -> text in the reader's language (placeholders `{{x}}` are filled in by the page). */
export function uiStrings(locale: Locale): Record<string, string> {
  const hit = cache.get(locale);
  if (hit) return hit;
  const out: Record<string, string> = {};
  for (const key of subtrees)
    flatten(
      key,
      i18n().getResource(locale, 'translation', key) ?? i18n().getResource('en', 'translation', key),
      out,
    );
  for (const key of singles)
    flatten(
      key,
      i18n().getResource(locale, 'translation', key) ?? i18n().getResource('en', 'translation', key),
      out,
    );
  cache.set(locale, out);
  return out;
}
