import { type AppDeps, createApp } from '../http/app.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { createLogger } from '../shared/logger.ts';

/**
 * The app with its routes registered and no service behind them: enough to read /openapi.json and the
 * route table (a request that reaches a service would fail). For the document's own tests.
 */
export function routesOnlyApp() {
  return createApp({
    adminToken: 'x',
    serviceToken: 'y',
    jwtSecret: 'z',
    trustProxyHops: 0,
    log: createLogger('silent'),
    metrics: createMetrics({ defaultMetrics: false }),
  } as AppDeps);
}
