/**
 * Exact decimal amounts as e-invoices write them (`1250.40`, `-3.5`, `22.00`): kept as strings,
 * added and compared as scaled integers (BigInt), never through floating point. The ticket's
 * `amount` field is a JSON number: `toAmount` converts once, at the end.
 */

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** The decimal written in `text` (trimmed), normalised (`+07.50` -> `7.50`); `undefined` when it is not one. */
export function readDecimal(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const [, sign, whole = '0', fraction] = m;
  const w = whole.replace(/^0+(?=\d)/, '');
  const value = fraction ? `${w}.${fraction}` : w;
  return sign === '-' && /[1-9]/.test(value) ? `-${value}` : value;
}

function scaled(value: string, scale: number): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const n = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -n : n;
}

const scaleOf = (value: string): number => value.split('.')[1]?.length ?? 0;

function unscale(n: bigint, scale: number): string {
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The exact sum of decimals (the result has the largest number of decimals among them). */
export function sumDecimals(values: readonly string[]): string {
  const scale = Math.max(0, ...values.map(scaleOf));
  return unscale(
    values.reduce((sum, v) => sum + scaled(v, scale), 0n),
    scale,
  );
}

/** `a - b`, exactly. */
export const subtractDecimals = (a: string, b: string): string =>
  sumDecimals([a, b.startsWith('-') ? b.slice(1) : `-${b}`]);

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareDecimals(a: string, b: string): number {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  const d = scaled(a, scale) - scaled(b, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** `|a - b| <= tolerance`, exactly. */
export function withinTolerance(a: string, b: string, tolerance: string): boolean {
  const d = subtractDecimals(a, b);
  return compareDecimals(d.startsWith('-') ? d.slice(1) : d, tolerance) <= 0;
}

/** The ticket's `amount`: the decimal as a JSON number (cents survive: 2 decimals fit a double). */
export const toAmount = (value: string): number => Number(value);

/** `a * b`, exactly (the result has the decimals of both). */
export function multiplyDecimals(a: string, b: string): string {
  const sa = scaleOf(a);
  const sb = scaleOf(b);
  return unscale(scaled(a, sa) * scaled(b, sb), sa + sb);
}

/** `value` rounded half away from zero to `places` decimals (for showing a computed amount). */
export function roundDecimal(value: string, places: number): string {
  const scale = scaleOf(value);
  if (scale <= places) return unscale(scaled(value, places), places);
  const n = scaled(value, scale);
  const factor = 10n ** BigInt(scale - places);
  const half = factor / 2n;
  const rounded = n < 0n ? -((-n + half) / factor) : (n + half) / factor;
  return unscale(rounded, places);
}
