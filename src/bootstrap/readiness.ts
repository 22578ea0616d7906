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
      const masters = clients.router.masters();
      const [redis, postgres] = await Promise.all([
        // Every master: a claim for any campaign may need any of them.
        Promise.all(masters.map((m) => answersWithin(m.gate.client.ping(), 500))).then(
          (answers) => answers.length > 0 && answers.every(Boolean),
        ),
        answersWithin(clients.db.sql`select 1`, 1_000),
      ]);
      return { redis, postgres };
    },
  };
}
