import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { makeCtx, type Ctx } from '../domain/context.js';
import {
  findIntakeTenant,
  findMailSender,
  mayWriteTo,
  parseIntakeAddress,
  receiveMail,
  type InboundMail,
} from '../domain/intake/mail-intake.js';
import { AppError } from '../errors/app-error.js';
import { presentError } from '../errors/present.js';
import { mimeStructureProblem } from './mime-structure.js';

/**
 * The inbound SMTP adapter: mail to `<tenant code>[+type]@INBOUND_MAIL_DOMAIN` becomes tickets
 * and replies (server/domain/intake/mail-intake.ts decides how). It checks what it can as
 * early as SMTP allows, so refused mail never reaches DATA:
 *
 * - MAIL FROM: the sender must be an active account           -> else 550 5.7.1
 * - RCPT TO: our domain, an active tenant's intake address     -> else 550 5.7.1 / 550 5.1.1
 *   and a sender who may write to that tenant                 -> else 550 5.7.1
 * - DATA: larger than INBOUND_MAX_BYTES                        -> 552
 *         not a parseable mail, no From                        -> 554 5.6.0
 *         the domain refuses it (From header, closed ticket…)  -> 550 5.7.1 / 554 5.6.0
 *         anything unexpected (database down…)                 -> 451 4.3.0, the sender retries
 *
 * No AUTH, no STARTTLS: it is meant to sit behind the organisation's MX, which does TLS, spam
 * and SPF/DKIM/DMARC checks (the From address is the sender's identity here).
 */

export interface InboundListenerOptions {
  port: number;
  /** INBOUND_MAIL_DOMAIN: the domain of every intake address. */
  domain: string;
  host: string;
  maxBytes: number;
  closeTimeoutMs: number;
  log: Logger;
}

export interface InboundListener {
  port: number;
  close(): Promise<void>;
}

/**
 * The SMTP reply for an error, from the error table (errors/present.ts): what the domain throws,
 * and the refusals this adapter makes itself before DATA, alike.
 */
function replyFor(err: unknown): Error & { responseCode: number } {
  const { code, message } = presentError(err, 'en', 'smtp').smtp;
  return Object.assign(new Error(message), { responseCode: code });
}

/** Our failure while checking (the database is down…): the sender tries again later. */
const temporary = (err: unknown): Error =>
  replyFor(new AppError('internal', 'inbound mail check failed', { cause: err }));

const firstId = (value: string | undefined): string | null =>
  /<[^<>\s]+>/.exec(value ?? '')?.[0] ?? value?.trim() ?? null;

function isAutoSubmitted(mail: ParsedMail): boolean {
  const header = (name: string): string => {
    const value = mail.headers.get(name);
    return typeof value === 'string' ? value.trim().toLowerCase() : '';
  };
  const auto = header('auto-submitted');
  if (auto && auto !== 'no') return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond')) return true;
  return ['bulk', 'junk', 'auto_reply', 'list'].includes(header('precedence'));
}

/** What the domain needs from a parsed mail. Inline images of an HTML body are not files. */
export function toInboundMail(parsed: ParsedMail, recipients: string[], raw?: Buffer): InboundMail {
  const from = parsed.from?.value.find((a) => a.address);
  const references = Array.isArray(parsed.references)
    ? parsed.references
    : parsed.references
      ? parsed.references.split(/\s+/)
      : [];
  return {
    from: from?.address ?? '',
    fromName: from?.name || null,
    recipients,
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html || null,
    messageId: parsed.messageId ?? null,
    inReplyTo: firstId(parsed.inReplyTo),
    references: references.filter(Boolean),
    attachments: parsed.attachments
      .filter((a) => !a.related)
      .map((a, i) => ({
        filename: a.filename || `attachment-${i + 1}`,
        buffer: a.content as Buffer,
        ...(raw && !base64Intact(a, raw) ? { undecodable: true } : {}),
      })),
    autoSubmitted: isAutoSubmitted(parsed),
  };
}

/**
 * Whether a base64 attachment was decoded from valid base64. mailparser decodes a damaged part into
 * bytes without a word, so the decoded bytes are encoded again and looked for in the raw mail
 * (white space and padding aside): valid base64 decodes and encodes back to the same text.
 */
function base64Intact(attachment: ParsedMail['attachments'][number], raw: Buffer): boolean {
  const encoding = attachment.headers.get('content-transfer-encoding');
  if (typeof encoding !== 'string' || encoding.trim().toLowerCase() !== 'base64') return true;
  const compact = (rawCompact ??= new WeakMap()).get(raw) ?? raw.toString('latin1').replace(/[\s=]/g, '');
  rawCompact.set(raw, compact);
  return compact.includes(attachment.content.toString('base64').replace(/=/g, ''));
}
let rawCompact: WeakMap<Buffer, string> | undefined;

/** Read the DATA stream, keeping at most `maxBytes` (beyond that only count, so memory stays bounded). */
function readLimited(
  stream: SMTPServerDataStream,
  maxBytes: number,
): Promise<{ buffer: Buffer; oversized: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () =>
      resolve({ buffer: Buffer.concat(chunks), oversized: stream.sizeExceeded || size > maxBytes }),
    );
  });
}

// Long function: a factory: the SMTP server's callbacks share its state and limits.
export async function startInboundListener(options: InboundListenerOptions): Promise<InboundListener> {
  const { log, maxBytes } = options;
  const ctxFor = (session: SMTPServerSession): Ctx => {
    const requestId = `smtp-${session.id}`;
    return makeCtx({
      tenantId: null,
      actor: { kind: 'system', name: 'mail.intake' },
      requestId,
      log,
      logFields: { requestId, ip: session.remoteAddress },
      ip: session.remoteAddress,
    });
  };
  const envelopeFrom = (session: SMTPServerSession): string =>
    session.envelope.mailFrom ? session.envelope.mailFrom.address : '';

  const server = new SMTPServer({
    banner: 'Backoffice Desk mail intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxBytes,
    maxRecipients: 50,
    closeTimeout: options.closeTimeoutMs,
    logger: false,

    onMailFrom(address, session, callback) {
      const from = address.address;
      findMailSender(ctxFor(session), from).then(
        (sender) => {
          if (sender) return callback();
          log.warn({ from, ip: session.remoteAddress }, 'inbound mail refused: unknown or inactive sender');
          callback(replyFor(new AppError('forbidden', `<${from}>: not an active account of this desk`)));
        },
        (err: unknown) => {
          log.error({ err, from }, 'inbound mail: sender lookup failed');
          callback(temporary(err));
        },
      );
    },

    onRcptTo(address, session, callback) {
      const to = address.address;
      const from = envelopeFrom(session);
      (async () => {
        const target = await findIntakeTenant(ctxFor(session), to);
        if (!target) {
          const ours = to.toLowerCase().endsWith(`@${options.domain}`);
          log.warn(
            { from, to, ip: session.remoteAddress },
            ours ? 'inbound mail refused: no such intake address' : 'inbound mail refused: not our domain',
          );
          return callback(
            replyFor(
              ours || parseIntakeAddress(to)
                ? new AppError('not_found', `<${to}>: no such intake address`)
                : new AppError('forbidden', `<${to}>: relaying denied`),
            ),
          );
        }
        const sender = await findMailSender(ctxFor(session), from);
        if (!sender || !mayWriteTo(sender, target.tenant)) {
          log.warn(
            { from, to, tenant: target.tenant.code, ip: session.remoteAddress },
            'inbound mail refused: sender may not write to this tenant',
          );
          return callback(replyFor(new AppError('forbidden', `<${from}> may not write to <${to}>`)));
        }
        callback();
      })().catch((err: unknown) => {
        log.error({ err, from, to }, 'inbound mail: recipient check failed');
        callback(temporary(err));
      });
    },

    onData(stream, session, callback) {
      const ctx = ctxFor(session);
      const recipients = session.envelope.rcptTo.map((a) => a.address);
      const from = envelopeFrom(session);
      (async () => {
        const { buffer, oversized } = await readLimited(stream, maxBytes);
        if (oversized) {
          ctx.log.warn(
            { from, recipients, bytes: stream.byteLength, max: maxBytes },
            'inbound mail refused: too large',
          );
          return callback(
            replyFor(new AppError('payload_too_large', `Message larger than ${maxBytes} bytes`)),
          );
        }
        let parsed: ParsedMail;
        try {
          parsed = await simpleParser(buffer);
        } catch (err) {
          ctx.log.warn({ err, from, recipients }, 'inbound mail refused: malformed');
          return callback(replyFor(new AppError('bad_request', 'Malformed message', { cause: err })));
        }
        const problem = mimeStructureProblem(buffer);
        if (problem) {
          ctx.log.warn({ from, recipients, problem }, 'inbound mail refused: malformed MIME structure');
          return callback(replyFor(new AppError('bad_request', `Malformed message: ${problem}`)));
        }
        const mail = toInboundMail(parsed, recipients, buffer);
        if (!mail.from) {
          ctx.log.warn({ from, recipients }, 'inbound mail refused: no From address');
          return callback(replyFor(new AppError('bad_request', 'Malformed message: no From address')));
        }
        const outcomes = await receiveMail(ctx, mail);
        ctx.log.debug({ from: mail.from, messageId: mail.messageId, outcomes }, 'inbound mail accepted');
        callback(
          null,
          `OK ${outcomes.map((o) => `${o.tenant}:${o.outcome}${o.ticket ? `:${o.ticket}` : ''}`).join(' ')}`,
        );
      })().catch((err: unknown) => {
        const reply = replyFor(err);
        if (reply.responseCode >= 500)
          ctx.log.warn({ err, from, recipients, reply: reply.message }, 'inbound mail refused');
        else ctx.log.error({ err, from, recipients }, 'inbound mail failed, the sender will retry');
        callback(reply);
      });
    },
  });
  server.on('error', (err) => log.error({ err }, 'inbound SMTP server error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ port, domain: options.domain, maxBytes }, 'inbound SMTP listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}
