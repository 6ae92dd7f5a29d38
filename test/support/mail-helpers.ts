import type { ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { pino } from 'pino';
import type { UserDoc } from '../../models/user.js';
import { makeCtx, type Ctx } from '../../server/domain/context.js';
import { isLocale } from '../../server/i18n/i18n.js';

/** Helpers for the mail tests: a real SMTP client, domain contexts for people, reading mails. */

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The context a signed-in person's request would carry (see http/middleware/context.ts). */
export function ctxFor(user: UserDoc, tenantLocale: 'en' | 'it' | 'da' = 'en'): Ctx {
  const tenantId = user.tenantId ? String(user.tenantId) : null;
  return makeCtx({
    tenantId,
    actor: {
      kind: 'user',
      userId: String(user._id),
      email: user.email,
      name: user.name,
      role: user.role,
      tenantId,
      tenantIds: tenantId ? [tenantId] : user.tenantIds.map(String),
      locale: isLocale(user.locale) ? user.locale : tenantLocale,
    },
    requestId: `test-${Date.now().toString(36)}`,
    log: silent,
    ip: '127.0.0.1',
  });
}

export interface SmtpFailure {
  responseCode: number;
  response: string;
}

/** Send one mail over SMTP on loopback, as a mail server would hand it to the portal. */
export async function sendSmtp(
  port: number,
  message: Mail.Options,
): Promise<{ response: string; messageId: string }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail(message);
    return { response: info.response, messageId: info.messageId };
  } finally {
    transport.close();
  }
}

/** Send and expect the server to refuse: its reply code and text. */
export async function sendSmtpRefused(port: number, message: Mail.Options): Promise<SmtpFailure> {
  try {
    const { response } = await sendSmtp(port, message);
    throw Object.assign(new Error(`the server accepted the mail: ${response}`), { accepted: true });
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; accepted?: boolean; message: string };
    if (e.accepted || !e.responseCode) throw err;
    return { responseCode: e.responseCode, response: e.response ?? e.message };
  }
}

/** A header of a parsed mail as text. */
export function headerOf(mail: ParsedMail, name: string): string {
  const value = mail.headers.get(name.toLowerCase());
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join(' ');
  return 'text' in (value as object) ? (value as { text: string }).text : String(value);
}

/** The address text of a parsed mail's To or Reply-To. */
export function addressText(value: ParsedMail['to'] | ParsedMail['replyTo']): string {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.map((a) => a.text).join(', ');
}

/** Bytes that file-type recognises as a PDF. */
export function pdfBytes(size = 40_000): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 7919 + 13) % 251;
  return Buffer.concat([
    Buffer.from(
      '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n',
      'latin1',
    ),
    body,
    Buffer.from('\nendstream\n%%EOF\n'),
  ]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` returns something truthy, or fail after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(50);
  }
}
