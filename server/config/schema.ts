import { z } from 'zod';
import { EMBEDDED_CAPACITY_TICKETS } from '../domain/tickets/capacity.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every setting the portal reads from the environment. The README's configuration table is
 * generated from the `describe()` texts, so keep them short and true.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development').describe('Run mode.'),
  HOST: z.string().default('0.0.0.0').describe('Interface the HTTP server binds.'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port (0 picks a free one).'),
  PUBLIC_URL: z
    .url()
    .optional()
    .describe('Address users reach the portal at, used in mail links (default http://localhost:PORT).'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional()
    .describe('MongoDB to use. Unset: start the embedded engine (H2 backend under DATA_DIR).'),
  DATA_DIR: z.string().default('data').describe('Where the embedded engine keeps its files.'),
  EMBEDDED_CAPACITY_TICKETS: z.coerce
    .number()
    .int()
    .positive()
    .default(EMBEDDED_CAPACITY_TICKETS)
    .describe(
      'Tickets the embedded engine serves well (README: Capacity of the embedded database); admins are warned from 80 %. Ignored with MONGODB_URI.',
    ),
  DEVDB_HEAP_MB: z.coerce
    .number()
    .int()
    .min(64)
    .optional()
    .describe(
      "Heap of the embedded engine, in MB. Unset: a quarter of the machine's memory, at least 512, at most 8192. Ignored with MONGODB_URI.",
    ),
  DEVDB_VERIFY_INDEXES: z
    .enum(['after-crash', 'always'])
    .default('after-crash')
    .describe(
      'When the embedded engine checks every index against its documents before serving: after an unclean stop, or at every start. Ignored with MONGODB_URI.',
    ),
  SEED_DEMO: bool.default(true).describe('Seed the demo data when the embedded database is empty.'),
  SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe(
      'Secret that signs session cookies. Required in production; unset in development, one is made once and kept in DATA_DIR/session-secret (sessions survive restarts).',
    ),
  TRUST_PROXY: z
    .string()
    .optional()
    .describe("Express 'trust proxy' setting when behind a TLS-terminating proxy (e.g. 1 or loopback)."),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  LOG_PRETTY: bool.default(false).describe('Human-readable logs (development).'),
  DEFAULT_LOCALE: z
    .enum(['en', 'it', 'da'])
    .default('en')
    .describe('Locale when neither user nor tenant has one.'),
  DEFAULT_TIME_ZONE: z.string().default('Europe/Rome').describe('Time zone for provider-wide pages.'),
  SMTP_URL: z
    .string()
    .optional()
    .describe('Outgoing mail server, e.g. smtp://user:pass@host:587. Unset: mail is written to the log.'),
  MAIL_FROM: z
    .string()
    .default('Backoffice Desk <no-reply@backoffice-desk.local>')
    .describe('Sender of outgoing mail.'),
  INBOUND_MAIL_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i)
    .optional()
    .describe("Domain of the tenants' intake addresses (<code>@domain); also the Reply-To of ticket mail."),
  INBOUND_SMTP_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe('Port of the inbound SMTP listener (mail to tickets). Unset: no listener.'),
  INBOUND_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 1024 * 1024)
    .describe('Largest inbound mail accepted, in bytes.'),
  SLA_SWEEP_SECONDS: z.coerce
    .number()
    .min(0.2)
    .max(300)
    .default(5)
    .describe('How often the SLA sweep records warnings and breaches (bounds their lateness).'),
  RETENTION_PURGE_SECONDS: z.coerce
    .number()
    .min(1)
    .max(7 * 86400)
    .default(86400)
    .describe('How often the retention purge deletes what has expired (a day by default).'),
  WEBHOOK_ALLOW_HOSTS: z
    .string()
    .default('')
    .describe(
      'Comma-separated host names or IP addresses webhooks may reach over plain http or on private, loopback or link-local addresses (all others: https to public addresses only).',
    ),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(60000)
    .default(10000)
    .describe('How long one webhook request may take before it counts as failed.'),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(8000)
    .describe('Grace period for in-flight work on SIGTERM.'),
  JOBS_ENABLED: bool.default(true).describe('Run the agenda job processor in this process.'),
  REPORTS_WEEKLY_DIGEST: bool
    .default(true)
    .describe('Mail account managers a weekly SLA digest of their clients (Mondays).'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional()
    .describe(
      'Redis for real-time pushes across several portal nodes (socket.io adapter). Unset: each process pushes to its own sockets only.',
    ),
  API_RATE_LIMIT: z.coerce
    .number()
    .int()
    .positive()
    .default(120)
    .describe('Requests per minute one API token may make (counted per portal process).'),
  SIGN_IN_ADDRESS_FAILURES: z.coerce
    .number()
    .int()
    .positive()
    .default(50)
    .describe(
      'Failed sign-ins one network address may make in 15 minutes before it gets 429 (successful ones are not counted).',
    ),
  CHROMIUM_PATH: z
    .string()
    .default('/usr/bin/chromium')
    .describe(
      'Chromium (or Chrome) that renders the PDF reports, started on the first one. Missing: PDF exports answer 503.',
    ),
  PDF_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(2)
    .describe('PDF reports rendered at once per portal process; further ones wait.'),
  PDF_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(30000)
    .describe('Longest a PDF report may wait for its turn and render before the request fails (503).'),
});

export type RawConfig = z.infer<typeof configSchema>;
