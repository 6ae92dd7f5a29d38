/**
 * IBAN check (ISO 13616-1): after normalising (upper case, no spaces or dashes), two letters of
 * country, two check digits, then the BBAN (letters and digits); the length is the one the SWIFT
 * IBAN Registry gives for the country; and the whole number, with the first four characters moved
 * to the end and each letter replaced by 10 ... 35, is 1 modulo 97 (ISO 7064 MOD 97-10).
 *
 * Countries missing from the table below (the registry grows) are checked by the general rules
 * only: 15 to 34 characters and modulo 97. The check digits of a BBAN are `ibanCheckDigits`.
 */

export type IbanCheck =
  | { ok: true; iban: string }
  | { ok: false; iban: string; key: string; params: Record<string, string | number> };

/** IBAN length per country (SWIFT IBAN Registry). */
// prettier-ignore
const lengths: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27,
  GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24,
  ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24,
  TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** The IBAN as compared and stored: upper case, without spaces, dashes or dots. */
export const normalizeIban = (iban: string): string => iban.replace(/[\s.-]/g, '').toUpperCase();

/** The remainder modulo 97 of a string of letters and digits, letters read as 10 ... 35. */
function mod97(text: string): number {
  let remainder = 0;
  for (const ch of text) {
    const value = ch >= 'A' && ch <= 'Z' ? ch.charCodeAt(0) - 55 : Number(ch);
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder;
}

/** The two check digits that make country + digits + BBAN a valid IBAN. */
export function ibanCheckDigits(country: string, bban: string): string {
  const check = 98 - mod97(`${normalizeIban(bban)}${country.toUpperCase()}00`);
  return String(check).padStart(2, '0');
}

export function checkIban(input: string): IbanCheck {
  const iban = normalizeIban(input);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban))
    return { ok: false, iban, key: 'quality.iban.format', params: {} };
  const country = iban.slice(0, 2);
  const expected = lengths[country];
  if (expected !== undefined && iban.length !== expected) {
    return { ok: false, iban, key: 'quality.iban.length', params: { country, length: expected } };
  }
  if (expected === undefined && (iban.length < 15 || iban.length > 34)) {
    return { ok: false, iban, key: 'quality.iban.format', params: {} };
  }
  if (mod97(`${iban.slice(4)}${iban.slice(0, 4)}`) !== 1)
    return { ok: false, iban, key: 'quality.iban.check', params: {} };
  return { ok: true, iban };
}
