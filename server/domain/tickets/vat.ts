/**
 * VAT numbers, checked per country after normalising: upper case, without spaces, dots, dashes
 * or slashes, with the two-letter country prefix (Greece's is EL, as VIES writes it; GR is read
 * as EL). A number without its prefix is refused: the supplier's country is not the client's,
 * and guessing it would file the invoice under someone else's number.
 *
 * Italy (partita IVA): 11 digits, the last a Luhn check digit. Denmark (CVR/SE): 8 digits,
 * weighted 2,7,6,5,4,3,2,1 the sum is a multiple of 11. Other EU member states (and Northern
 * Ireland, XI): the formats VIES publishes (European Commission, "VIES - VAT number validation",
 * ec.europa.eu/taxation_customs/vies, FAQ "What is the structure of a VAT number?"), without
 * their check digits. Numbers of other countries are refused: VIES knows none.
 */

export type VatCheck =
  | { ok: true; vat: string }
  | { ok: false; vat: string; key: string; params: Record<string, string | number> };

/** The VAT number as compared and stored: upper case, no spaces, dots, dashes or slashes. */
export const normalizeVat = (vat: string): string => vat.replace(/[\s./-]/g, '').toUpperCase();

/** VIES formats after the prefix, with what a person is told when a number does not match. */
const formats: Record<string, { re: RegExp; shape: string }> = {
  AT: { re: /^U\d{8}$/, shape: 'U + 8' },
  BE: { re: /^[01]\d{9}$/, shape: '10' },
  BG: { re: /^\d{9,10}$/, shape: '9-10' },
  CY: { re: /^\d{8}[A-Z]$/, shape: '8 + 1' },
  CZ: { re: /^\d{8,10}$/, shape: '8-10' },
  DE: { re: /^\d{9}$/, shape: '9' },
  DK: { re: /^\d{8}$/, shape: '8' },
  EE: { re: /^\d{9}$/, shape: '9' },
  EL: { re: /^\d{9}$/, shape: '9' },
  ES: { re: /^[A-Z0-9]\d{7}[A-Z0-9]$/, shape: '9' },
  FI: { re: /^\d{8}$/, shape: '8' },
  FR: { re: /^[A-HJ-NP-Z0-9]{2}\d{9}$/, shape: '2 + 9' },
  HR: { re: /^\d{11}$/, shape: '11' },
  HU: { re: /^\d{8}$/, shape: '8' },
  IE: { re: /^(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/, shape: '8-9' },
  IT: { re: /^\d{11}$/, shape: '11' },
  LT: { re: /^(\d{9}|\d{12})$/, shape: '9 / 12' },
  LU: { re: /^\d{8}$/, shape: '8' },
  LV: { re: /^\d{11}$/, shape: '11' },
  MT: { re: /^\d{8}$/, shape: '8' },
  NL: { re: /^\d{9}B\d{2}$/, shape: '9 + B + 2' },
  PL: { re: /^\d{10}$/, shape: '10' },
  PT: { re: /^\d{9}$/, shape: '9' },
  RO: { re: /^[1-9]\d{1,9}$/, shape: '2-10' },
  SE: { re: /^\d{10}01$/, shape: '12' },
  SI: { re: /^\d{8}$/, shape: '8' },
  SK: { re: /^\d{10}$/, shape: '10' },
  XI: { re: /^(\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})$/, shape: '9 / 12' },
};

function italianCheckDigitOk(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let n = Number(digits[i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return (10 - (sum % 10)) % 10 === Number(digits[10]);
}

function danishCheckOk(digits: string): boolean {
  const weights = [2, 7, 6, 5, 4, 3, 2, 1];
  return weights.reduce((sum, w, i) => sum + w * Number(digits[i]), 0) % 11 === 0;
}

/**
 * The part of a VAT number that names the company whatever way it was written: normalised, and
 * without its country prefix when it has one (a known country whose format the rest matches;
 * GR read as EL), so `IT 01234567897`, `it01234567897` and `01234567897` give the same answer.
 */
export function vatWithoutPrefix(input: string): string {
  let vat = normalizeVat(input);
  if (vat.startsWith('GR')) vat = `EL${vat.slice(2)}`;
  const format = formats[vat.slice(0, 2)];
  return format && format.re.test(vat.slice(2)) ? vat.slice(2) : vat;
}

/** Check a VAT number; a refusal names a translation key and what is wrong. */
export function checkVat(input: string): VatCheck {
  let vat = normalizeVat(input);
  if (vat.startsWith('GR')) vat = `EL${vat.slice(2)}`;
  if (!/^[A-Z]{2}/.test(vat)) return { ok: false, vat, key: 'exact.vat.prefix', params: {} };
  const country = vat.slice(0, 2);
  const rest = vat.slice(2);
  const format = formats[country];
  if (!format) return { ok: false, vat, key: 'exact.vat.country', params: { country } };
  if (!format.re.test(rest)) {
    const key =
      country === 'IT'
        ? 'exact.vat.it_digits'
        : country === 'DK'
          ? 'exact.vat.dk_digits'
          : 'exact.vat.format';
    return { ok: false, vat, key, params: { country, shape: format.shape } };
  }
  if (country === 'IT' && !italianCheckDigitOk(rest))
    return { ok: false, vat, key: 'exact.vat.it_check', params: { country } };
  if (country === 'DK' && !danishCheckOk(rest))
    return { ok: false, vat, key: 'exact.vat.dk_check', params: { country } };
  return { ok: true, vat };
}

/** The CVR number a Danish VAT number carries (DK + CVR), else null. */
export function cvrOf(vat: string | null | undefined): string | null {
  const normalized = normalizeVat(vat ?? '');
  return /^DK\d{8}$/.test(normalized) ? normalized.slice(2) : null;
}
