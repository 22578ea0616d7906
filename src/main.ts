import { EXIT, preparePostgres, startupFailure, waitForRedis } from './bootstrap/startup.ts';
import { ConfigError, loadConfig } from './config.ts';
import { startRuntime } from './runtime.ts';
import { isClosedConnectionWrite } from './shared/driver-races.ts';
import { createLogger, type Logger } from './shared/logger.ts';

/** The single entry point: `ROLE=all|api|worker`. Signal handlers live here and nowhere else. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(EXIT.config);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL, { role: config.ROLE, pid: process.pid });
  startLog = log;
  // Postgres first: a start that cannot succeed should say so before it waits for anything.
  await preparePostgres(config);
  await waitForRedis(config, log);
  const runtime = await startRuntime(config, log);
  // A parent that spawned this process with an IPC channel (the fleet, tests) learns it is ready.
  process.send?.({ type: 'ready', role: config.ROLE, port: runtime.port ?? null });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const hardExit = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 5_000);
    hardExit.unref();
    runtime.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err }));
  // Node's default for an uncaught exception is to exit; it still is, except for the one driver race
  // that cannot be caught where it happens (see driver-races.ts).
  process.on('uncaughtException', (err) => {
    if (isClosedConnectionWrite(err)) {
      log.warn('postgres driver wrote to a connection that had closed; the write was dropped', {
        err: err.message,
      });
      return;
    }
    log.error('uncaught exception; exiting', { err });
    process.exit(1);
  });
}

let startLog: Logger | undefined;

main().catch((err: unknown) => {
  const known = startupFailure(err);
  if (!known) {
    console.error('failed to start:', err);
    process.exit(1);
  }
  if (startLog) startLog.error(`failed to start: ${known.message}`);
  else console.error(`failed to start: ${known.message}`);
  process.exit(known.exitCode);
});
