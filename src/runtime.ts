import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Worker } from 'bullmq';
import type { Config } from './config.ts';
import { startReconcileScheduler } from './reconcile/scheduler.ts';
import { checkRedisDurability } from './redis/durability.ts';
import type { Logger } from './shared/logger.ts';
import { createHttpApp, createPersistWorkerFor, createServices } from './wiring.ts';

export interface Runtime {
  /** The port the API listens on (when the role serves HTTP). */
  port?: number;
  stop(): Promise<void>;
}

/** Starts the parts of the service the role asks for: `all` = API + worker (+ scheduler), `api`, `worker`. */
export async function startRuntime(config: Config, log: Logger): Promise<Runtime> {
  const services = createServices(config, log);
  const runsApi = config.ROLE !== 'worker';
  const runsWorker = config.ROLE !== 'api';
  let accepting = true;
  void checkRedisDurability(services.backgroundRedis, log);

  let worker: Worker | undefined;
  if (runsWorker) {
    worker = createPersistWorkerFor(services);
  }

  // The scheduler runs where the workers run; any one of those processes takes each scheduled pass.
  const scheduler = runsWorker
    ? await startReconcileScheduler({
        connection: services.backgroundRedis,
        prefix: services.queuePrefix,
        everyMs: config.RECONCILE_EVERY_MS,
        reconciler: services.reconciler,
        log,
      })
    : undefined;

  let server: Server | undefined;
  let port: number | undefined;
  if (runsApi) {
    const app = createHttpApp(services, () => accepting);
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) => {
        port = info.port;
        resolve(s as Server);
      }) as Server;
      s.once('error', (err) => reject(new Error(`cannot listen on port ${config.PORT}: ${err.message}`)));
    }).catch(async (err: unknown) => {
      await services.close();
      throw err;
    });
    server.keepAliveTimeout = 65_000;
    log.info('api listening', { port, role: config.ROLE });
  }
  if (worker) log.info('persist worker running', { concurrency: config.WORKER_CONCURRENCY });

  return {
    port,
    async stop() {
      accepting = false;
      const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
      const step = async (name: string, work: () => Promise<unknown>) => {
        const started = Date.now();
        await work();
        log.debug('shutdown step done', { step: name, ms: Date.now() - started });
      };
      if (server) await step('http server', () => closeServer(server as Server, deadline));
      // Accepted claims still buffered for the queue go out before the connections close.
      await step('enqueue buffered claims', () => services.producer.drain());
      if (worker) await step('persist worker', () => (worker as Worker).close());
      if (scheduler) await step('reconcile scheduler', () => scheduler.close());
      await step('connections', () => services.close());
      log.info('stopped cleanly');
    },
  };
}

/**
 * server.close() waits for in-flight requests, but idle keep-alive sockets would hold it open until the
 * client's timeout; close those as they go idle, and everything at the deadline.
 */
async function closeServer(server: Server, deadline: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => {
    server.closeIdleConnections();
    if (Date.now() >= deadline) server.closeAllConnections();
  }, 50);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
  }
}
