import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createLogger } from '../shared/logger.ts';
import { createTestEnv, type TestEnv } from '../testing/harness.ts';
import { createServices } from './services.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('pgpool');
});
afterAll(() => env.cleanup());

/** Connections the service holds on this file's database right now. */
async function serviceConnections(name: string): Promise<number> {
  const [row] = await env.sql()<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and application_name = ${name}`;
  return row?.n ?? 0;
}

describe('PG_POOL_MAX', () => {
  it('bounds the connections one process opens, however many queries wait', async () => {
    const config = loadConfig({
      REDIS_URL: env.config.REDIS_URL,
      REDIS_PREFIX: env.config.REDIS_PREFIX,
      DATABASE_URL: env.databaseUrl,
      ROLE: 'api',
      PG_POOL_MAX: '3',
      LOG_LEVEL: 'silent',
    });
    const services = createServices(config, createLogger('silent'));
    try {
      const { sql } = services.clients.db;
      expect(sql.options.max).toBe(3);
      let peak = 0;
      const sleeping = Promise.all(Array.from({ length: 12 }, () => sql`select pg_sleep(0.15)`));
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 40));
        peak = Math.max(peak, await serviceConnections('flashsale-api'));
      }
      await sleeping;
      expect(peak).toBe(3);
    } finally {
      await services.close();
    }
  });

  it('takes ?max= from DATABASE_URL when PG_POOL_MAX is not set', async () => {
    const config = loadConfig({
      REDIS_URL: env.config.REDIS_URL,
      REDIS_PREFIX: env.config.REDIS_PREFIX,
      DATABASE_URL: `${env.databaseUrl}?max=2`,
      LOG_LEVEL: 'silent',
    });
    const services = createServices(config, createLogger('silent'));
    try {
      expect(services.clients.db.sql.options.max).toBe(2);
      await services.clients.db.sql`select 1`;
    } finally {
      await services.close();
    }
  });
});
