import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { t, type Locale } from '../../i18n/i18n.js';

export interface MailerConfig {
  smtpUrl: string | undefined;
  from: string;
  log: Logger;
}

let transport: Transporter | undefined;
let from = 'Backoffice Desk <no-reply@backoffice-desk.local>';
let devLog: Logger | undefined;

/** Set up once at start-up. Without SMTP_URL mail goes to the log (development and demos). */
export function configureMailer(config: MailerConfig): void {
  from = config.from;
  devLog = config.smtpUrl ? undefined : config.log;
  transport = config.smtpUrl
    ? nodemailer.createTransport(config.smtpUrl)
    : nodemailer.createTransport({ jsonTransport: true });
}

export function closeMailer(): void {
  transport?.close();
  transport = undefined;
}

export type MailTemplate =
  | 'password_reset'
  | 'invitation'
  | 'ticket_created'
  | 'ticket_replied'
  | 'ticket_pending'
  | 'ticket_resolved'
  | 'ticket_closed_duplicate'
  | 'sla_warning'
  | 'sla_breach'
  | 'sla_report'
  | 'reports_weekly'
  | 'webhook_disabled'
  | 'accuracy_breach';

/**
 * Where a template's subject and body live: `mail.<template>` (core.json), or the catalogue of
 * the feature that mails it (a file of its own, e.g. quality-ops.json).
 */
const ownCatalogue: Partial<Record<MailTemplate, string>> = { accuracy_breach: 'quality_ops.mail' };
const catalogueOf = (template: MailTemplate): string => ownCatalogue[template] ?? `mail.${template}`;

export interface MailInput {
  to: string;
  locale: Locale;
  template: MailTemplate;
  params: Record<string, string>;
}

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Render a templated mail in the reader's locale: subject and paragraphs come from the catalogue. */
export function renderMail(input: MailInput): { subject: string; text: string; html: string } {
  const subject = t(input.locale, `${catalogueOf(input.template)}.subject`, input.params);
  const body = t(input.locale, `${catalogueOf(input.template)}.body`, input.params);
  const footer = t(input.locale, 'mail.footer');
  const text = `${body}\n\n-- \n${footer}\n`;
  const paragraphs = body
    .split(/\n{2,}/)
    .map(
      (p) =>
        `<p>${escapeHtml(p)
          .replace(/\n/g, '<br>')
          .replace(/(https?:\/\/\S+)/g, '<a href="$1">$1</a>')}</p>`,
    )
    .join('\n');
  const html = `<!doctype html><html lang="${input.locale}"><body style="font-family:sans-serif">${paragraphs}<hr><p style="color:#666">${escapeHtml(footer)}</p></body></html>`;
  return { subject, text, html };
}

export interface RenderedSend extends MailInput {
  headers?: Record<string, string>;
  replyTo?: string | undefined;
  messageId?: string;
}

/** Render and hand to the SMTP server now. Callers go through the outbox (outbox.ts). */
export async function sendRendered(input: RenderedSend): Promise<void> {
  if (!transport) throw new Error('mailer not configured');
  const rendered = renderMail(input);
  const info = await transport.sendMail({
    from,
    to: input.to,
    ...rendered,
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    ...(input.messageId ? { messageId: input.messageId } : {}),
    headers: input.headers ?? {},
  });
  devLog?.info(
    { to: input.to, subject: rendered.subject, text: rendered.text, messageId: info.messageId },
    'mail (no SMTP_URL: logged, not sent)',
  );
}
