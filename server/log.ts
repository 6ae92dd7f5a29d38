import { pino, type Logger } from 'pino';
import type { Config } from './config/config.js';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'backoffice-desk' },
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', '*.password', 'password'],
      remove: true,
    },
    ...(config.logPretty ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
  });
}
