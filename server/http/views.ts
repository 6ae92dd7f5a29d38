import type { Express } from 'express';
import { create } from 'express-handlebars';
import type { HelperOptions } from 'handlebars';
import { formatBytes, formatDate, formatDateTime, formatNumber, intlLocaleOf } from '../i18n/format.js';
import { isLocale, t, type Locale } from '../i18n/i18n.js';
import { formatDuration } from '../i18n/duration.js';
import { formatInputNumber, separatorsOf } from '../domain/tickets/numbers.js';
import { fromRoot } from '../paths.js';
import { isSystemTag } from '../../models/ticket.js';

interface RootData {
  locale?: Locale;
  timeZone?: string;
}

function rootOf(options: HelperOptions): RootData {
  return ((options.data as { root?: RootData } | undefined)?.root ?? {}) as RootData;
}

function localeOf(options: HelperOptions): Locale {
  const locale = rootOf(options).locale;
  return isLocale(locale) ? locale : 'en';
}

const currencyNames = new Map<Locale, Intl.DisplayNames>();
function currencyName(code: string, locale: Locale): string {
  let names = currencyNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([intlLocaleOf(locale)], { type: 'currency', fallback: 'code' });
    currencyNames.set(locale, names);
  }
  return names.of(code) ?? code;
}

const inputTypes = new Set([
  'text',
  'email',
  'password',
  'date',
  'datetime-local',
  'time',
  'month',
  'number',
  'tel',
  'url',
  'search',
  'hidden',
]);

/** Handlebars helpers: every string a person reads goes through `t`. */
const helpers = {
  t(key: string, options: HelperOptions): string {
    return t(localeOf(options), key, options.hash as Record<string, unknown>);
  },
  /** Translate with a parameters object (e.g. a flash message's). */
  tx(key: string, params: Record<string, unknown> | undefined, options: HelperOptions): string {
    return t(localeOf(options), key, params ?? {});
  },
  /** A ticket's tag as people read it: the portal's own tags translated, everyone else's as typed. */
  tagLabel(tag: string, options: HelperOptions): string {
    return isSystemTag(tag) ? t(localeOf(options), `tickets.system_tags.${tag}`) : tag;
  },
  dateTime(value: Date | string | null | undefined, options: HelperOptions): string {
    return formatDateTime(value, localeOf(options), rootOf(options).timeZone ?? 'UTC');
  },
  date(value: Date | string | null | undefined, options: HelperOptions): string {
    return formatDate(value, localeOf(options), rootOf(options).timeZone ?? 'UTC');
  },
  /** A calendar date without a time (YYYY-MM-DD): no time zone applies. */
  plainDate(value: string | null | undefined, options: HelperOptions): string {
    return formatDate(value ? `${value}T12:00:00Z` : null, localeOf(options), 'UTC');
  },
  formatNumber(value: number, options: HelperOptions): string {
    return formatNumber(value, localeOf(options));
  },
  /** The reader's decimal or group separator, for a script that reads numbers as they type them. */
  numberSeparator(which: 'decimal' | 'group', options: HelperOptions): string {
    return separatorsOf(localeOf(options))[which === 'group' ? 'group' : 'decimal'];
  },
  /**
   * A keyed record's value as its reader keys it: a number field's value in their locale (at
   * least the field's decimals, so it reads back the same), a date field's in their date format.
   */
  keyedValue(
    value: unknown,
    field: { type?: string; decimals?: number } | undefined,
    options: HelperOptions,
  ) {
    if (value === null || value === undefined) return '';
    const locale = localeOf(options);
    if (field?.type === 'number') {
      const n = typeof value === 'number' ? value : Number(value);
      if (String(value).trim() !== '' && Number.isFinite(n))
        return formatInputNumber(n, locale, field.decimals ?? 0);
    }
    if (field?.type === 'date' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
      return formatDate(`${value}T12:00:00Z`, locale, 'UTC');
    return String(value);
  },
  money(amount: number, currency: string, options: HelperOptions): string {
    if (typeof amount !== 'number') return '';
    try {
      return new Intl.NumberFormat(intlLocaleOf(localeOf(options)), { style: 'currency', currency }).format(
        amount,
      );
    } catch {
      return `${amount} ${currency}`;
    }
  },
  /** A number as a form field shows it (the reader's separators, read back by the same rule). */
  inputNumber(value: number, ...rest: unknown[]): string {
    const options = rest[rest.length - 1] as HelperOptions;
    const minFraction = typeof rest[0] === 'number' ? rest[0] : 0;
    return formatInputNumber(value, localeOf(options), minFraction);
  },
  /** A currency's name in the reader's language (ISO 4217 code when unknown to the runtime). */
  currencyName(code: string, options: HelperOptions): string {
    return currencyName(code, localeOf(options));
  },
  upper: (value: unknown): string => (typeof value === 'string' ? value.trim().toUpperCase() : ''),
  bytes: (size: number, options: HelperOptions): string => formatBytes(size, localeOf(options)),
  isoDate: (value: unknown): string =>
    value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : '',
  /** A duration of business time, e.g. "2 h 05 min" or "3 d 4 h". */
  duration: (seconds: number, options: HelperOptions): string => formatDuration(seconds, localeOf(options)),
  /**
   * The `type` of a form field's input. Partials see their caller's context, so a field given no
   * type would take the page's (a ticket type, "invoice"): only real input types pass, else text.
   */
  inputType: (type: unknown): string => (typeof type === 'string' && inputTypes.has(type) ? type : 'text'),
  join: (list: unknown): string => (Array.isArray(list) ? list.join(', ') : ''),
  /** What was typed in a filter field shown again (`values`, set on a refused query), else `fallback`. */
  typed: (values: unknown, name: string, fallback: unknown): unknown =>
    values && typeof values === 'object' && name in values
      ? (values as Record<string, unknown>)[name]
      : fallback,
  eq: (a: unknown, b: unknown): boolean => String(a) === String(b),
  includes: (list: unknown, item: unknown): boolean =>
    Array.isArray(list) && list.map(String).includes(String(item)),
  concat: (...args: unknown[]): string => args.slice(0, -1).join(''),
};

/** The one handlebars instance: pages, and the fragments sockets send, render with it. */
const viewEngine = create({
  extname: '.hbs',
  defaultLayout: 'main',
  layoutsDir: fromRoot('views', 'layouts'),
  partialsDir: fromRoot('views', 'partials'),
  helpers,
});

/**
 * One partial rendered alone, as a page prints it, for a reader: what a live update inserts
 * (e.g. a timeline entry pushed to the ticket page), so no second rendering exists in public/js.
 */
export async function renderPartial(
  name: string,
  context: Record<string, unknown>,
  reader: { locale: Locale; timeZone: string },
): Promise<string> {
  const html = await viewEngine.render(fromRoot('views', 'partials', `${name}.hbs`), context, {
    cache: true,
    data: { root: { ...context, locale: reader.locale, timeZone: reader.timeZone } },
  });
  return html.trim();
}

export function configureViews(app: Express): void {
  // express calls the engine with a callback, which express-handlebars also answers; its promise
  // (the same outcome) is not needed here.
  app.engine('hbs', (path, options, callback) => {
    void viewEngine.engine(path, options, callback);
  });
  app.set('view engine', 'hbs');
  app.set('views', fromRoot('views'));
  // Compiled templates are kept in every mode: without the cache each page re-reads and
  // re-compiles its templates, about a sixth of the portal's CPU per page under load
  // (bench:capacity). `npm run dev` restarts on a view change instead (tsx watch --include).
  app.enable('view cache');
}
