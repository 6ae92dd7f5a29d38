import { loadConfig, ConfigError } from './config/config.js';
import { createLogger } from './log.js';
import { startPortal } from './boot.js';

/** `npm start`: run the portal until SIGTERM/SIGINT, then shut down within the grace period. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config);
  const portal = await startPortal(config, log);

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutdown requested');
    const hardStop = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1500);
    hardStop.unref();
    portal.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Started by `npm start`, which may exit on SIGTERM without passing it on: a portal whose parent
  // is gone (it is re-parented) stops as if it had been signalled.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch);
      shutdown('parent exited');
    }
  }, 500);
  watch.unref();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Backoffice Desk failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
