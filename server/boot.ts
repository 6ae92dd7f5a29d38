import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agenda } from 'agenda';
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { openDatabase, type Database } from './db/database.js';
import { configureDomainSettings } from './domain/settings.js';
import { configureSurveyKey } from './domain/csat/link-token.js';
import { closeMailer, configureMailer } from './domain/mail/mailer.js';
import { createApp } from './http/app.js';
import { trackConnections } from './http/graceful-close.js';
import { createSessionStore, sessionMiddleware } from './http/auth/sessions.js';
import { attachRealtime, type Realtime } from './realtime/server.js';
import { isEmpty, seedDemo } from './seed/demo.js';
import { DEMO_PASSWORD } from './seed/demo-data.js';
import { createScheduler } from '../jobs/scheduler.js';
import { registerMaintenanceJobs } from '../jobs/maintenance.js';
import { deliverOnQueue, registerOutboxJob } from '../jobs/mail-outbox.js';
import { registerSlaSweep } from '../jobs/sla-sweep.js';
import { registerWebhookJobs, webhooksOnEvents } from '../jobs/webhooks.js';
import { configureWebhooks } from './domain/webhooks/settings.js';
import { registerTicketSetupsJob } from '../jobs/ticket-setups.js';
import { registerRetentionJob } from '../jobs/retention.js';
import { registerTicketMergesJob } from '../jobs/ticket-merges.js';
import { registerMonthlyReports } from '../jobs/reports-monthly.js';
import { registerWeeklyDigest } from '../jobs/reports-weekly.js';
import { systemCtx } from './domain/context.js';
import { backfillInvoiceKeys } from './domain/tickets/invoice-keys.js';
import { startInboundListener, type InboundListener } from './inbound-mail/listener.js';
import { createPdfRenderer } from './pdf/renderer.js';

export interface Portal {
  url: string;
  server: Server;
  db: Database;
  agenda: Agenda | null;
  realtime: Realtime;
  /** Port of the inbound SMTP listener (INBOUND_SMTP_PORT), or null when there is none. */
  inboundSmtpPort: number | null;
  stop(): Promise<void>;
}

/**
 * Start everything in order (database, seed, jobs, HTTP) and return one `stop` that undoes
 * it in reverse: stop accepting, finish in-flight requests, stop jobs, close the database.
 */
// Long function: the start order (database, jobs, HTTP, sockets, mail) and its stop in reverse, read top to bottom.
export async function startPortal(config: Config, log: Logger): Promise<Portal> {
  if (config.inboundSmtpPort !== undefined && !config.inboundMailDomain) {
    throw new Error(
      'INBOUND_SMTP_PORT is set but INBOUND_MAIL_DOMAIN is not: intake addresses need a domain',
    );
  }
  const db = await openDatabase(config, log);
  // Once per database: invoice keys for invoice tickets stored before they existed.
  await backfillInvoiceKeys();
  configureMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log: log.child({ component: 'mail' }) });

  // Mails queued before the server listens (the demo data's) link to the configured address. A
  // free port (PORT=0) is only known after listen: set again then.
  configureDomainSettings({ publicUrl: config.publicUrl, inboundDomain: config.inboundMailDomain });
  configureSurveyKey(config.sessionSecret);
  configureWebhooks({ allowHosts: config.webhookAllowHosts, timeoutMs: config.webhookTimeoutMs });
  if (config.seedDemo && !config.mongodbUri && (await isEmpty())) {
    await seedDemo(systemCtx(log, 'seed'));
    log.info(
      { signIn: `${config.publicUrl}/login`, email: 'admin@desk.example', password: DEMO_PASSWORD },
      'empty embedded database: demo data seeded (README lists every demo account; SEED_DEMO=false to skip)',
    );
  }

  let agenda: Agenda | null = null;
  const client = mongoose.connection.getClient();
  const mongoDb = mongoose.connection.db;
  if (!mongoDb) throw new Error('database not connected');
  if (config.jobsEnabled) {
    agenda = createScheduler({
      db: mongoDb,
      log: log.child({ component: 'jobs' }),
      name: `portal-${process.pid}`,
    });
    await registerMaintenanceJobs(agenda, log.child({ component: 'jobs' }), config.embeddedCapacityTickets);
    await registerOutboxJob(agenda, log.child({ component: 'jobs' }));
    await registerSlaSweep(agenda, log.child({ component: 'sla' }), config.slaSweepSeconds * 1000);
    await registerWebhookJobs(agenda, log.child({ component: 'webhooks' }));
    await registerTicketSetupsJob(agenda, log.child({ component: 'jobs' }));
    await registerTicketMergesJob(agenda, log.child({ component: 'jobs' }));
    await registerRetentionJob(agenda, log.child({ component: 'retention' }), config.retentionPurgeSeconds);
    await registerMonthlyReports(agenda, log.child({ component: 'reports' }));
    await registerWeeklyDigest(agenda, log.child({ component: 'reports' }), config.reportsWeeklyDigest);
    await agenda.start();
  }

  const stopOutbox = deliverOnQueue(log.child({ component: 'mail' }));
  const stopWebhooks = webhooksOnEvents(log.child({ component: 'webhooks' }));
  const sessionStore = createSessionStore(client, mongoDb.databaseName);
  // One session middleware instance for the pages and the sockets: same cookie, same store.
  const sessions = sessionMiddleware(config, sessionStore);
  // Its browser starts on the first PDF, not here.
  const pdf = createPdfRenderer({
    chromiumPath: config.chromiumPath,
    concurrency: config.pdfConcurrency,
    timeoutMs: config.pdfTimeoutMs,
    log: log.child({ component: 'pdf' }),
  });
  const app = createApp({
    config,
    log,
    sessionStore,
    sessions,
    pdf,
    defaults: { locale: config.defaultLocale, timeZone: config.defaultTimeZone },
  });
  const server = createServer(app);
  // socket.io wraps the server's request listener; whoever needs the express app finds it here.
  Object.defineProperty(server, 'expressApp', { value: app });
  const realtime = await attachRealtime({ httpServer: server, sessionMiddleware: sessions, config, log });
  const connections = trackConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  // PORT=0 (tests) only learns its port now; links must point at it.
  configureDomainSettings({
    publicUrl: config.publicUrl.endsWith(':0') ? url : config.publicUrl,
    inboundDomain: config.inboundMailDomain,
  });
  let inbound: InboundListener | null = null;
  if (config.inboundSmtpPort !== undefined && config.inboundMailDomain) {
    inbound = await startInboundListener({
      port: config.inboundSmtpPort,
      host: config.host,
      domain: config.inboundMailDomain,
      maxBytes: config.inboundMaxBytes,
      closeTimeoutMs: config.shutdownTimeoutMs,
      log: log.child({ component: 'inbound-mail' }),
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('stopping');
      const drained = connections.drain({ idleWindowMs: 300, graceMs: config.shutdownTimeoutMs });
      // Upgraded sockets keep the server from closing: drop this node's sockets first.
      await realtime.close();
      await Promise.all([drained, inbound?.close()]);
      await pdf.close();
      if (agenda) await agenda.stop();
      await stopOutbox();
      await stopWebhooks();
      await sessionStore.close().catch(() => undefined);
      closeMailer();
      await db.close();
      log.info('stopped');
    })();
    return stopping;
  };
  log.info({ url }, 'portal listening');
  return { url, server, db, agenda, realtime, inboundSmtpPort: inbound?.port ?? null, stop };
}
