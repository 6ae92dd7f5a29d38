import { t, type Locale } from './i18n.js';

/**
 * A duration of business time in the reader's language: "2 h 05 min" and "3 d 4 h" in English,
 * "3 gg 4 h" in Italian, "3 d. 4 t." in Danish (catalogue `durations`). Days and hours above a
 * day, hours and minutes below it: the precision a deadline needs.
 */
export function formatDuration(seconds: number, locale: Locale): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return t(locale, 'durations.days_hours', { d, h });
  if (h) return t(locale, 'durations.hours_minutes', { h, m: String(m).padStart(2, '0') });
  return t(locale, 'durations.minutes', { m });
}
