import { readdirSync, readFileSync } from 'node:fs';
import i18next, { type i18n, type TFunction } from 'i18next';
import { fromRoot } from '../paths.js';
import { formatBytes, formatNumber } from './format.js';

export const locales = ['en', 'it', 'da'] as const;
export type Locale = (typeof locales)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

type Catalogue = Record<string, unknown>;

/**
 * A locale's catalogue: every JSON file in `locales/<locale>/`, one per area (core, tickets,
 * api...), merged. Two files may not define the same top-level key.
 */
export function loadCatalogue(locale: Locale): Catalogue {
  const dir = fromRoot('server', 'i18n', 'locales', locale);
  const merged: Catalogue = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const part = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Catalogue;
    for (const [key, value] of Object.entries(part)) {
      if (key in merged) throw new Error(`i18n: ${locale}/${file} redefines top-level key "${key}"`);
      merged[key] = value;
    }
  }
  return merged;
}

let instance: i18n | undefined;

/** One i18next instance for the process, loaded synchronously from the catalogues. */
export function i18n(): i18n {
  if (instance) return instance;
  const inst = i18next.createInstance();
  void inst.init({
    initAsync: false,
    resources: Object.fromEntries(locales.map((l) => [l, { translation: loadCatalogue(l) }])),
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: [...locales],
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  // A catalogue formats a quantity for the reader where it writes it, so every channel shows it the
  // same way (a page, the API's 422, a mail's note): `{{size, bytes}}` is a file size (formatBytes),
  // `{{max, number}}` a count in the reader's number format.
  const localeOf = (lng: string | undefined): Locale => (isLocale(lng) ? lng : 'en');
  inst.services.formatter?.add('bytes', (value, lng) => formatBytes(Number(value), localeOf(lng)));
  inst.services.formatter?.add('number', (value, lng) => formatNumber(Number(value), localeOf(lng)));
  instance = inst;
  return inst;
}

export function translator(locale: Locale): TFunction {
  return i18n().getFixedT(locale);
}

export function t(locale: Locale, key: string, params?: Record<string, unknown>): string {
  return translator(locale)(key, params ?? {}) as string;
}

/** Pick the first supported locale from an Accept-Language header. */
export function localeFromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const tag = part.split(';')[0]?.trim().slice(0, 2).toLowerCase();
    if (isLocale(tag)) return tag;
  }
  return undefined;
}
