import { Hono } from 'hono';
import type { Readiness } from '../../bootstrap/readiness.ts';
import type { AppEnv } from '../env.ts';

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
