/**
 * Reconciliation cost on this machine: `npm run bench:reconcile`.
 * - a campaign with 100,000 persisted claims, nothing to repair (the scheduled pass in steady state);
 * - the same campaign after Redis lost it (a full rebuild from Postgres);
 * - a campaign with 10,000 acknowledged claims whose enqueue never happened (requeue), and the time
 *   until a worker has them all in Postgres.
 * Runs in-process against the local Redis and Postgres, in its own database and key prefix.
 */
import { startPersistWorker } from '../src/bootstrap/roles.ts';
import { createServices } from '../src/bootstrap/services.ts';
import { createBucketDirectory } from '../src/claim/bucket-directory.ts';
import { createClaimService } from '../src/claim/claim.service.ts';
import { loadConfig } from '../src/config.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import type { Claim } from '../src/domain/claim.ts';
import { campaignKeys } from '../src/redis/keys.ts';
import { createLogger } from '../src/shared/logger.ts';
import { scratch } from './lib/scratch.ts';

const PERSISTED = Number(process.env.BENCH_PERSISTED ?? 100_000);
const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);
const run = Date.now().toString(36);
const resources = scratch('benchrec');
const config = loadConfig({
  ...process.env,
  DATABASE_URL: resources.databaseUrl,
  REDIS_PREFIX: resources.prefix,
  PENDING_GRACE_MS: '0',
  LOG_LEVEL: 'warn',
});
const log = createLogger(config.LOG_LEVEL);
await migrateDatabase(config.DATABASE_URL);
const services = createServices(config, log);
const { admin, reconciler, repos } = services;
const who = { actor: 'bench' };
const window = {
  startsAt: new Date(Date.now() - 60_000),
  endsAt: new Date(Date.now() + 86_400_000),
  perUserLimit: 1,
  buckets: 1,
  returnExpired: false,
};

/** Accepts `n` claims through the real script, collecting them instead of enqueueing. */
async function acceptClaims(campaignId: string, n: number): Promise<Claim[]> {
  const accepted: Claim[] = [];
  const claims = createClaimService({
    redis: services.clients.router,
    keyPrefix: config.REDIS_PREFIX,
    idempotencyTtlSeconds: 60,
    acknowledger: { acknowledge: async (c) => void accepted.push(c) },
    restoreIfKnown: async () => false,
    directory: createBucketDirectory({ emptyMs: 0 }),
    holdMs: 5_000,
    storedOfUser: repos.coupons.ofUser,
  });
  for (let i = 0; i < n; i += 2_000) {
    const chunk = Array.from({ length: Math.min(2_000, n - i) }, (_, k) => `u${i + k}`);
    await Promise.all(chunk.map((userId) => claims.claim({ campaignId, userId })));
  }
  return accepted;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(
    `${label.padEnd(62)} ${Math.round(performance.now() - started)
      .toString()
      .padStart(6)} ms`,
  );
  return result;
}

try {
  const big = await admin.create(
    { id: `persisted-${run}`, name: 'bench', totalStock: PERSISTED, ...window },
    who,
  );
  const accepted = await acceptClaims(big.id, PERSISTED);
  for (let i = 0; i < accepted.length; i += 5_000)
    await repos.claims.insertMany(accepted.slice(i, i + 5_000));
  await services.clients.shared.del(campaignKeys(config.REDIS_PREFIX, big.id).pending);
  console.log(`seeded ${accepted.length} persisted claims and ${PENDING} pending claims\n`);

  const steady = await timed(`reconcile ${PERSISTED} persisted claims, nothing to repair`, () =>
    reconciler.run({ trigger: 'cli', campaignId: big.id }),
  );
  if (!steady.ok || steady.campaigns[0]!.repairs.rebuilt) throw new Error('expected a clean pass');

  const keys = campaignKeys(config.REDIS_PREFIX, big.id);
  await services.clients.shared.del(keys.meta, keys.users, keys.claims);
  const rebuilt = await timed(`reconcile after Redis lost the campaign (rebuild ${PERSISTED})`, () =>
    reconciler.run({ trigger: 'cli', campaignId: big.id }),
  );
  const r = rebuilt.campaigns[0]!;
  if (!r.repairs.rebuilt || r.redis.claimed !== PERSISTED) throw new Error('expected a full rebuild');
  console.log(`  (includes the ${config.REBUILD_SETTLE_MS} ms pause that lets in-flight enqueues land)`);

  const small = await admin.create(
    { id: `pending-${run}`, name: 'bench', totalStock: PENDING, ...window },
    who,
  );
  await acceptClaims(small.id, PENDING);
  const repaired = await timed(`reconcile ${PENDING} pending claims whose enqueue was lost`, () =>
    reconciler.run({ trigger: 'cli', campaignId: small.id }),
  );
  if (repaired.campaigns[0]!.repairs.requeued !== PENDING) throw new Error('expected every claim requeued');
  const worker = startPersistWorker(services);
  await timed(`  then until a worker has all ${PENDING} in Postgres`, async () => {
    while ((await repos.claims.countByCampaign(small.id)) < PENDING)
      await new Promise((res) => setTimeout(res, 20));
  });
  await worker.close();
} finally {
  await services.close();
  await resources.cleanup();
}
