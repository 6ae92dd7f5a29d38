import { randomBytes } from 'node:crypto';
import { devSessionSecret } from './dev-secret.js';
import type { z } from 'zod';
import { configSchema } from './schema.js';

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  publicUrl: string;
  mongodbUri: string | undefined;
  dataDir: string;
  /** Tickets the embedded engine serves well; null with MONGODB_URI (no such limit). */
  embeddedCapacityTickets: number | null;
  /** DEVDB_HEAP_MB: the embedded engine's heap; undefined: sized from the machine's memory. */
  devdbHeapMb: number | undefined;
  devdbVerifyIndexes: 'after-crash' | 'always';
  seedDemo: boolean;
  sessionSecret: string;
  trustProxy: string | undefined;
  logLevel: string;
  logPretty: boolean;
  defaultLocale: 'en' | 'it' | 'da';
  defaultTimeZone: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  inboundMailDomain: string | null;
  inboundSmtpPort: number | undefined;
  inboundMaxBytes: number;
  slaSweepSeconds: number;
  retentionPurgeSeconds: number;
  /** WEBHOOK_ALLOW_HOSTS: hosts webhooks may reach over http or on private addresses. */
  webhookAllowHosts: string[];
  webhookTimeoutMs: number;
  shutdownTimeoutMs: number;
  jobsEnabled: boolean;
  reportsWeeklyDigest: boolean;
  apiRateLimit: number;
  signInAddressFailures: number;
  redisUrl: string | undefined;
  chromiumPath: string;
  pdfConcurrency: number;
  pdfTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Read and validate the environment once, at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const raw = parsed.data;
  const problems: string[] = [];
  if (!isTimeZone(raw.DEFAULT_TIME_ZONE))
    problems.push(`DEFAULT_TIME_ZONE: unknown time zone ${raw.DEFAULT_TIME_ZONE}`);
  if (raw.NODE_ENV === 'production' && !raw.SESSION_SECRET)
    problems.push('SESSION_SECRET: required in production');
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    env: raw.NODE_ENV,
    host: raw.HOST,
    port: raw.PORT,
    publicUrl: (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/$/, ''),
    mongodbUri: raw.MONGODB_URI,
    dataDir: raw.DATA_DIR,
    embeddedCapacityTickets: raw.MONGODB_URI ? null : raw.EMBEDDED_CAPACITY_TICKETS,
    devdbHeapMb: raw.DEVDB_HEAP_MB,
    devdbVerifyIndexes: raw.DEVDB_VERIFY_INDEXES,
    seedDemo: raw.SEED_DEMO,
    // Development keeps one in the data dir (sessions survive restarts); tests use one per process.
    sessionSecret:
      raw.SESSION_SECRET ??
      (raw.NODE_ENV === 'development' ? devSessionSecret(raw.DATA_DIR) : randomBytes(32).toString('hex')),
    trustProxy: raw.TRUST_PROXY,
    logLevel: raw.LOG_LEVEL,
    logPretty: raw.LOG_PRETTY,
    defaultLocale: raw.DEFAULT_LOCALE,
    defaultTimeZone: raw.DEFAULT_TIME_ZONE,
    smtpUrl: raw.SMTP_URL,
    mailFrom: raw.MAIL_FROM,
    inboundMailDomain: raw.INBOUND_MAIL_DOMAIN?.toLowerCase() ?? null,
    inboundSmtpPort: raw.INBOUND_SMTP_PORT,
    inboundMaxBytes: raw.INBOUND_MAX_BYTES,
    slaSweepSeconds: raw.SLA_SWEEP_SECONDS,
    retentionPurgeSeconds: raw.RETENTION_PURGE_SECONDS,
    webhookAllowHosts: raw.WEBHOOK_ALLOW_HOSTS.split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    webhookTimeoutMs: raw.WEBHOOK_TIMEOUT_MS,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    jobsEnabled: raw.JOBS_ENABLED,
    reportsWeeklyDigest: raw.REPORTS_WEEKLY_DIGEST,
    apiRateLimit: raw.API_RATE_LIMIT,
    signInAddressFailures: raw.SIGN_IN_ADDRESS_FAILURES,
    redisUrl: raw.REDIS_URL,
    chromiumPath: raw.CHROMIUM_PATH,
    pdfConcurrency: raw.PDF_CONCURRENCY,
    pdfTimeoutMs: raw.PDF_TIMEOUT_MS,
  });
}

/** Rows of the README configuration table. */
export function describeConfig(): Array<{ name: string; description: string; default: string }> {
  return Object.entries(configSchema.shape).map(([name, field]) => {
    const f = field as z.ZodType;
    let def = '';
    const parsed = (f as z.ZodType).safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) def = String(parsed.data);
    return { name, description: f.description ?? '', default: def };
  });
}
