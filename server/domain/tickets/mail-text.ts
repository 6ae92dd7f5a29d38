/**
 * Text handling for inbound mail: the readable body of a message, the new words of a reply
 * (without the quoted mail it answers) and a ticket subject from a mail subject.
 */

const entities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

/** A rough plain-text rendering of an HTML body, for mails that have no text part. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name in entities) return entities[name] as string;
      if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return whole;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The body as text: the text part, or the HTML part rendered to text; line ends normalised. */
export function bodyText(mail: { text?: string | null; html?: string | null }): string {
  const text = (mail.text ?? '').replace(/\r\n?/g, '\n').trim();
  if (text) return text;
  return mail.html ? htmlToText(mail.html.replace(/\r\n?/g, '\n')) : '';
}

/** "On <date>, <name> wrote:" and its Italian and Danish forms (also when wrapped over two lines). */
const attribution = [
  /^On\s.+\bwrote:\s*$/i,
  /^(Il|In data)\s.+\bha scritto:\s*$/i,
  /^(Den|D\.)\s.+\bskrev\b.*:\s*$/i,
];
const attributionStart = /^(On|Il|In data|Den|D\.)\s/i;
/** Everything below one of these lines is the mail being answered or forwarded. */
const separators = [
  /^-{2,}\s*(Original Message|Messaggio originale|Oprindelig meddelelse|Forwarded message|Messaggio inoltrato|Videresendt meddelelse)\s*-{2,}\s*$/i,
  /^_{10,}\s*$/,
];
/** Outlook's quoted header block: "From: …" then "Sent: …" (or Date) within a few lines. */
const outlookFrom = /^\*?(From|Da|Fra):\*?\s/i;
const outlookSent = /^\*?(Sent|Date|Inviato|Data|Sendt|Dato):\*?\s/i;

/** An attribution names a date or an address: "On Monday the supplier wrote:" is a sentence. */
const isAttribution = (line: string): boolean =>
  /[\d@]/.test(line) && attribution.some((re) => re.test(line));

/**
 * The new words of a reply: quoted lines (`>`), the "On … wrote:" line that introduces them,
 * and everything below an Outlook header block, an "Original message" separator or a
 * signature delimiter (`-- `) are dropped. Text written below or between quotes is kept.
 */
export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const trimmed = line.trim();
    if (line === '-- ' || line === '--') break;
    if (separators.some((re) => re.test(trimmed))) break;
    if (outlookFrom.test(trimmed) && lines.slice(i + 1, i + 5).some((l) => outlookSent.test(l.trim()))) break;
    let span = 0;
    if (isAttribution(trimmed)) span = 1;
    else if (
      attributionStart.test(trimmed) &&
      i + 1 < lines.length &&
      isAttribution(`${trimmed} ${(lines[i + 1] as string).trim()}`)
    )
      span = 2;
    if (span) {
      // Quoted with ">" below: drop the attribution and go on (answers may follow the quote).
      // Not marked at all: the rest is the quoted mail.
      const next = lines.slice(i + span).find((l) => l.trim() !== '');
      if (next === undefined || !next.trimStart().startsWith('>')) break;
      i += span - 1;
      continue;
    }
    if (trimmed.startsWith('>')) continue;
    kept.push(line);
  }
  return kept
    .join('\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Reply and forward prefixes in English, Italian, Danish (and the usual German ones). */
const subjectPrefix = /^\s*((re|fwd?|r|i|rif|sv|vs|vb|videresend|aw|wg|tr)\s*(\[\d+\])?\s*:\s*)+/i;

/** A mail subject as a ticket subject: reply/forward prefixes and ticket tags removed. */
export function cleanSubject(subject: string): string {
  return subject
    .replace(/\s+/g, ' ')
    .replace(subjectPrefix, '')
    .replace(/\[[A-Z][A-Z0-9-]*-\d{6,}\]\s*/gi, '')
    .trim();
}
