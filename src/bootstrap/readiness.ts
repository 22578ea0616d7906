import type { Clients } from './clients.ts';

/** What /readyz reports: whether this instance takes traffic, and whether its dependencies answer. */
export interface Readiness {
  /** False once shutdown has begun, so a load balancer stops sending traffic before the server closes. */
  accepting(): boolean;
  check(): Promise<Record<string, boolean>>;
}

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
