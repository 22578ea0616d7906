import { Hono } from 'hono';
import type { Metrics } from '../../metrics/metrics.ts';
import type { AppEnv } from '../env.ts';

/** What /readyz reports: whether this instance takes traffic, and whether its dependencies answer. */
export interface Readiness {
  /** False once shutdown has begun, so a load balancer stops sending traffic before the server closes. */
  accepting(): boolean;
  check(): Promise<Record<string, boolean>>;
}

export function healthRoutes(readiness: Readiness, metrics: Metrics) {
  return new Hono<AppEnv>()
    .get('/metrics', async (c) => {
      const body = await metrics.registry.metrics();
      return c.body(body, 200, { 'Content-Type': metrics.registry.contentType });
    })
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const checks = await readiness.check();
      const ready = readiness.accepting() && Object.values(checks).every(Boolean);
      return c.json(
        { status: ready ? 'ready' : 'not_ready', accepting: readiness.accepting(), checks },
        ready ? 200 : 503,
      );
    });
}
