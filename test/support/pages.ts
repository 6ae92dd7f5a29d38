import type { ParsedMail } from 'mailparser';
import type { Response } from 'supertest';
import { Types } from 'mongoose';
import { SESSION_COOKIE } from '../../server/http/auth/sessions.js';

/** Reading rendered pages, cookies and mails in HTTP tests. */

const entities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#x27': "'",
  '#39': "'",
  '#x60': '`',
  '#x3D': '=',
  nbsp: ' ',
};

/** Decode the entities handlebars and our templates produce. */
export function decodeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name in entities) return entities[name] as string;
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return whole;
  });
}

/** The readable text of some HTML: tags dropped, entities decoded, white space collapsed. */
export function textOf(html: string): string {
  return decodeHtml(html.replace(/<script[\s\S]*?<\/script>/gi, ' ').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** Text of the first element carrying the attribute (e.g. `role="alert"`, `id="e-email"`), or null. */
export function textOfElementWith(html: string, attribute: string): string | null {
  const match = new RegExp(
    `<(\\w+)[^>]*\\s${attribute.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^>]*>([\\s\\S]*?)</\\1>`,
  ).exec(html);
  return match ? textOf(match[2] ?? '') : null;
}

/** The form-level message (`role="alert"`), or null. */
export const alertText = (html: string): string | null => textOfElementWith(html, 'role="alert"');

/** The error shown under a form field (`id="e-<name>"` or the field's `small.error`), or null. */
export function fieldError(html: string, name: string): string | null {
  const byId = textOfElementWith(html, `id="e-${name}"`);
  if (byId !== null) return byId;
  const block = new RegExp(
    `name="${name}"[\\s\\S]*?(?:<small class="error"[^>]*>([\\s\\S]*?)</small>|</div>|</fieldset>)`,
  ).exec(html);
  return block?.[1] !== undefined ? textOf(block[1]) : null;
}

/** The value of the input named `name`, or null. */
export function inputValue(html: string, name: string): string | null {
  const tag = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
  const value = tag ? /value="([^"]*)"/.exec(tag)?.[1] : undefined;
  return value === undefined ? null : decodeHtml(value);
}

/** The links of the main navigation. */
export function navHrefs(html: string): string[] {
  const nav = /<nav class="nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1] as string);
}

/** Rows of the table marked `data-testid="<id>"`, each as the texts of its cells. */
export function tableRows(html: string, testId: string): string[][] {
  const table = new RegExp(`<table[^>]*data-testid="${testId}"[\\s\\S]*?</table>`).exec(html)?.[0];
  if (!table) throw new Error(`no table ${testId} on the page`);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => textOf(cell[1] ?? '')),
  );
}

/** The session cookie (`name=value`) a response set, or null. */
export function sessionCookieOf(res: Response): string | null {
  const raw = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const found = list.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const pair = found?.split(';')[0];
  return pair && pair !== `${SESSION_COOKIE}=` ? pair : null;
}

/** The session id inside a signed session cookie (`desk.sid=s%3A<id>.<signature>`). */
export function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  const match = /^s:([^.]+)\./.exec(value);
  if (!match?.[1]) throw new Error(`not a signed session cookie: ${cookie}`);
  return match[1];
}

/** Whom a parsed mail was sent to. */
export function recipientOf(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.map((a) => a.text).join(', ');
}

/** The path (with token) of the first portal link in a mail's text. */
export function linkPathIn(mail: ParsedMail): string {
  const url = /https?:\/\/\S+/.exec(mail.text ?? '')?.[0];
  if (!url) throw new Error(`no link in mail "${mail.subject ?? ''}"`);
  return new URL(url).pathname;
}

export const newObjectId = (): string => new Types.ObjectId().toHexString();
