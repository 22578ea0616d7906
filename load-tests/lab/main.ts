/**
 * One strategy-lab process: LAB_DATABASE_URL, LAB_REDIS_URL, LAB_PREFIX, PORT, LAB_PG_POOL (default 10),
 * LAB_MAX_WAIT_MS (default 5000: a request waiting longer for its turn is answered 503), LAB_REDLOCK_URLS
 * (comma-separated independent Redis masters for the Redlock strategy).
 * Started by load-tests/lab.ts (five of them by default); tells its parent over IPC when it listens.
 */
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createLabApp } from './server.ts';
import { redlockNode } from './strategies/redlock.ts';

const env = process.env;
const pool = Number(env.LAB_PG_POOL ?? 10);
const sql = postgres(env.LAB_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flashsale_lab', {
  max: pool,
  onnotice: () => {},
  connection: { application_name: 'flashsale-lab' },
});
const redis = new Redis(env.LAB_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
const redlock = (env.LAB_REDLOCK_URLS ?? '').split(',').filter(Boolean).map(redlockNode);
await Promise.all(redlock.map((r) => r.connect()));
const app = createLabApp({
  redlock,
  sql,
  redis,
  keyPrefix: env.LAB_PREFIX ?? 'lab',
  slots: pool,
  maxWaitMs: Number(env.LAB_MAX_WAIT_MS ?? 5_000),
});
const port = Number(env.PORT ?? 3300);
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  process.send?.({ type: 'ready', role: 'lab', port });
});

const stop = () => {
  server.close();
  void Promise.allSettled([sql.end({ timeout: 2 }), redis.quit(), ...redlock.map((r) => r.quit())]).then(() =>
    process.exit(0),
  );
};
process.on('SIGTERM', stop);
// Started by the lab runner over IPC: if the runner dies, do not outlive it.
process.on('disconnect', stop);
process.on('SIGINT', stop);
