import type { Readiness } from '../http/routes/health.routes.ts';
import type { Clients } from './clients.ts';

const answersWithin = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    p.then(
      () => resolve(true),
      () => resolve(false),
    ).finally(() => clearTimeout(timer));
  });

export function readinessOf(clients: Clients, accepting: () => boolean): Readiness {
  return {
    accepting,
    async check() {
      const [redis, postgres] = await Promise.all([
        answersWithin(clients.redis.client.ping(), 500),
        answersWithin(clients.db.sql`select 1`, 1_000),
      ]);
      return { redis, postgres };
    },
  };
}
