import { escapeRegExp } from '../regex.js';

/** How a data subject is recognised in stored text: their e-mail addresses, names and phone numbers. */
export interface PersonIdentifiers {
  emails: string[];
  names: string[];
  phones: string[];
}

/** What each kind of identifier becomes: the erasure's pseudonyms. */
export interface Pseudonyms {
  email: string;
  name: string;
  phone: string;
}

/** Letters or digits on neither side: "Anna Berg" is found in "Dear Anna Berg," but not in "Annabella". */
const word = (body: string): string => `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`;

/** Shorter names would match ordinary words; a phone number needs this many digits to be one. */
const minNameLength = 3;
const minPhoneDigits = 6;

/** A phone number as any spacing writes it ("+45 12 34 56 78", "12-345678"), with and without its country code. */
function phoneBodies(phone: string): string[] {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < minPhoneDigits) return [];
  const variants = new Set([digits]);
  const international = /^(?:00|\+)/.test(phone.trim()) ? digits.replace(/^00/, '') : null;
  if (international && international.length > 9) variants.add(international.slice(2));
  return [...variants].map((d) => `\\+?(?:00)?${d.split('').join('[\\s.\\-/()]*')}`);
}

/** One pattern matching every identifier (case-insensitive), or null when there is nothing to look for. */
export function personPattern(ids: PersonIdentifiers): RegExp | null {
  const bodies = [
    ...ids.emails.filter((e) => e.includes('@')).map((e) => escapeRegExp(e.trim())),
    ...ids.names
      .map((n) => n.trim())
      .filter((n) => n.length >= minNameLength)
      .map((n) => n.split(/\s+/).map(escapeRegExp).join('\\s+')),
    ...ids.phones.flatMap(phoneBodies),
  ];
  if (bodies.length === 0) return null;
  // Longest first, so an e-mail address is replaced whole before a name inside it.
  bodies.sort((a, b) => b.length - a.length);
  return new RegExp(bodies.map(word).join('|'), 'giu');
}

/** A match's pseudonym: an address for an address, a name for a name, a mark for a number. */
function replacementOf(match: string, pseudonyms: Pseudonyms): string {
  if (match.includes('@')) return pseudonyms.email;
  if (/^[\d\s.+\-/()]+$/.test(match)) return pseudonyms.phone;
  return pseudonyms.name;
}

/** `text` with every identifier replaced. */
export function scrubText(text: string, pattern: RegExp, pseudonyms: Pseudonyms): string {
  return text.replace(pattern, (match) => replacementOf(match, pseudonyms));
}

/** Plain objects only: ids, dates and binary data are never text to scrub. */
function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A stored value with every identifier replaced in its strings (at any depth), or `undefined` when nothing matched. */
export function scrubValue(value: unknown, pattern: RegExp, pseudonyms: Pseudonyms): unknown {
  if (typeof value === 'string') {
    const scrubbed = scrubText(value, pattern, pseudonyms);
    return scrubbed === value ? undefined : scrubbed;
  }
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = scrubValue(item, pattern, pseudonyms);
      if (next === undefined) return item;
      changed = true;
      return next;
    });
    return changed ? out : undefined;
  }
  if (isPlain(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = scrubValue(item, pattern, pseudonyms);
      out[key] = next === undefined ? item : next;
      if (next !== undefined) changed = true;
    }
    return changed ? out : undefined;
  }
  return undefined;
}

/** The top-level fields of a document that change (other than those `keep` names), as a `$set`. */
export function scrubbedFields(
  doc: Record<string, unknown>,
  pattern: RegExp,
  pseudonyms: Pseudonyms,
  keep: readonly string[] = [],
): Record<string, unknown> | null {
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === '_id' || key === 'tenantId' || keep.includes(key)) continue;
    const next = scrubValue(value, pattern, pseudonyms);
    if (next !== undefined) set[key] = next;
  }
  return Object.keys(set).length ? set : null;
}
