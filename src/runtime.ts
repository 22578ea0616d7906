import type { Worker } from 'bullmq';
import { createHttpApp, createOpsApp, startPersistWorker, startScheduler } from './bootstrap/roles.ts';
import { createServices } from './bootstrap/services.ts';
import type { Config } from './config.ts';
import { closeServer, listen } from './http/server.ts';
import { checkRedisDurability } from './redis/durability.ts';
import type { Logger } from './shared/logger.ts';

export interface Runtime {
  /** The port this process listens on: the API, or the worker's operations routes. */
  port: number;
  stop(): Promise<void>;
}

/** Starts the parts of the service the role asks for: `all` = API + worker (+ scheduler), `api`, `worker`. */
export async function startRuntime(config: Config, log: Logger): Promise<Runtime> {
  const services = createServices(config, log);
  // On a cluster, where each campaign lives is known before anything (a scheduled pass) asks.
  await services.clients.router.ready();
  const runsApi = config.ROLE !== 'worker';
  const runsWorker = config.ROLE !== 'api';
  let accepting = true;
  for (const node of services.clients.router.masters()) void checkRedisDurability(node.background, log);

  const worker: Worker | undefined = runsWorker ? startPersistWorker(services) : undefined;
  // The scheduler runs where the workers run; any one of those processes takes each scheduled pass.
  const scheduler = runsWorker ? await startScheduler(services) : undefined;

  // Every role serves /healthz, /readyz and /metrics on PORT; the API roles serve the API there too.
  const app = runsApi ? createHttpApp(services, () => accepting) : createOpsApp(services, () => accepting);
  const limits = {
    maxConnections: config.HTTP_MAX_CONNECTIONS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
  };
  const listening = await listen(app, config.PORT, limits).catch(async (err: unknown) => {
    await worker?.close();
    await scheduler?.close();
    await services.close();
    throw err;
  });
  const { server, port } = listening;
  log.info(runsApi ? 'api listening' : 'operations routes listening', { port });
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
      await step('http server', () => closeServer(server, deadline));
      if (worker) await step('persist worker', () => worker.close());
      if (scheduler) await step('reconcile scheduler', () => scheduler.close());
      // Accepted claims still buffered for the queue go out before the connections close.
      await step('buffered claims and connections', () => services.close());
      log.info('stopped cleanly');
    },
  };
}
