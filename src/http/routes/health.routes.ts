import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

/** What /readyz reports: whether this instance takes traffic, and whether its dependencies answer. */
export interface Readiness {
  /** False once shutdown has begun, so a load balancer stops sending traffic before the server closes. */
  accepting(): boolean;
  check(): Promise<Record<string, boolean>>;
}

export function healthRoutes(readiness: Readiness) {
  return new Hono<AppEnv>()
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
