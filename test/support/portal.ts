import mongoose from 'mongoose';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../server/config/config.js';
import { startPortal, type Portal } from '../../server/boot.js';
import { dropAndDisconnect, testDbUri } from './db.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export interface TestPortal {
  portal: Portal;
  url: string;
  config: Config;
  smtp: SmtpSink;
  stop(): Promise<void>;
}

/** The real portal in this process, on a free port, its own database and a real SMTP sink. */
export async function startTestPortal(label: string, env: Record<string, string> = {}): Promise<TestPortal> {
  const smtp = await startSmtpSink();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    MONGODB_URI: testDbUri(label),
    SMTP_URL: smtp.url,
    JOBS_ENABLED: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const log = pino({ level: config.logLevel });
  const portal = await startPortal(config, log);
  return {
    portal,
    url: portal.url,
    config,
    smtp,
    async stop() {
      await mongoose.connection.dropDatabase().catch(() => undefined);
      await portal.stop().catch(() => undefined);
      await dropAndDisconnect().catch(() => undefined);
      await smtp.close();
    },
  };
}
