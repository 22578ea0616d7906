import postgres from 'postgres';
import { adminClient } from '../lib/api.ts';
import { type Fleet, startFleet } from '../lib/fleet.ts';
import { scratch } from '../lib/scratch.ts';

export const LAB_JWT_SECRET = 'lab-jwt-secret';
const ADMIN_TOKEN = 'lab-admin-token';

/** The product as the lab runs it: API processes and a worker (src/main.ts) on a scratch database. */
export interface ProductFleet {
  fleet: Fleet;
  admin: ReturnType<typeof adminClient>;
  /** The scratch database, to judge the run from its rows. */
  sql: postgres.Sql;
  stop(): Promise<void>;
}

export async function startProductFleet(opts: {
  name: string;
  instances: number;
  basePort: number;
  onLine?: ((name: string, line: string) => void) | undefined;
}): Promise<ProductFleet> {
  const resources = scratch(opts.name);
  const fleet = await startFleet({
    apis: opts.instances,
    workers: 1,
    basePort: opts.basePort,
    env: {
      DATABASE_URL: resources.databaseUrl,
      REDIS_PREFIX: resources.prefix,
      ADMIN_TOKEN,
      JWT_SECRET: LAB_JWT_SECRET,
      LOG_LEVEL: 'warn',
      // Each user presses at most twice; the per-user limiter is not what is measured here.
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_ADDRESS_PER_SECOND: '0',
    },
    ...(opts.onLine ? { onLine: opts.onLine } : {}),
  });
  const sql = postgres(resources.databaseUrl, { max: 1, onnotice: () => {} });
  return {
    fleet,
    admin: adminClient(fleet.urls[0]!, ADMIN_TOKEN),
    sql,
    async stop() {
      await sql.end({ timeout: 2 });
      await fleet.stop();
      await resources.cleanup();
    },
  };
}
