import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../testing/harness.ts';
import { call, claim, createCampaign, eventually, type Reply } from '../testing/http.ts';
import { startPrivateRedis } from '../testing/redis-server.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';

/**
 * Each ACK_DURABILITY mode's promise, tried against the fault it covers: `replica` answers 201 only once a
 * replica has the claim, so promoting that replica loses nothing acknowledged; `postgres` answers 201
 * only once the row is committed, so a Redis that loses everything loses nothing acknowledged.
 */
const started: { stop(): Promise<void> }[] = [];
let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
  for (const s of started.splice(0).reverse()) await s.stop();
});
afterAll(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

const users = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const rowsOf = async (e: TestEnv, id: string) =>
  (await e.sql()`select id, user_id from claims where campaign_id = ${id}`) as unknown as {
    id: string;
    user_id: string;
  }[];

/** A primary with one replica, reached through a proxy the test can move (an operator's virtual IP). */
async function primaryWithReplica() {
  const primary = await startPrivateRedis();
  const replica = await startPrivateRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
  started.push(primary, replica);
  const proxy: TcpProxy = await startTcpProxy('127.0.0.1', primary.port);
  started.push({ stop: () => proxy.close() });
  const replicaClient = new Redis(replica.url);
  await eventually(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 10_000);
  /** kill -9 the primary, make the replica a primary, point the proxy at it. */
  const failOver = async () => {
    await primary.kill();
    await replicaClient.call('REPLICAOF', 'NO', 'ONE');
    proxy.retarget('127.0.0.1', replica.port);
  };
  started.push({ stop: async () => void replicaClient.disconnect() });
  return { primary, replica, proxy, failOver, url: `redis://127.0.0.1:${proxy.port}` };
}

describe('ACK_DURABILITY=replica', () => {
  it('answers 201 only once a replica has the claim; after the replica is promoted, nothing acknowledged is missing', async () => {
    const redis = await primaryWithReplica();
    env = await createTestEnv('ack-replica', {
      REDIS_URL: redis.url,
      ACK_DURABILITY: 'replica',
      ACK_TIMEOUT_MS: '300',
    });
    const { app } = env.instance();
    const worker = env.worker();
    const { id } = await createCampaign(app, { totalStock: 500 });

    // The replica stops taking writes: no claim can be acknowledged, and none is.
    redis.replica.freeze();
    const stuck = await Promise.all(
      users('frozen', 20).map((u) => claim(app, id, env!.userToken(u), `k-${u}`)),
    );
    expect(stuck.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(stuck[0]!.body.error.message).toMatch(/replica/);
    redis.replica.thaw();

    const acked: Reply[] = [];
    for (const u of users('acked', 100)) {
      const res = await claim(app, id, env.userToken(u), `k-${u}`);
      expect(res.status).toBe(201);
      acked.push(res);
    }
    await worker.close();
    // The primary dies right after the last answer; the replica takes over, and a new replica joins it
    // (replica mode confirms with a replica, so a primary alone cannot acknowledge anything).
    await redis.failOver();
    const rejoined = await startPrivateRedis(['--replicaof', '127.0.0.1', String(redis.replica.port)]);
    started.push(rejoined);
    const rejoinedClient = new Redis(rejoined.url);
    await eventually(
      async () => /master_link_status:up/.test(await rejoinedClient.info('replication')),
      10_000,
    );
    rejoinedClient.disconnect();

    // Claims are held until the campaign is verified on the new server; then every acknowledged claim is
    // there: its user is refused a second coupon, its key replays it.
    await eventually(
      async () => (await claim(app, id, env!.userToken('acked-0'), 'k-acked-0')).status === 200,
      15_000,
      100,
    );
    for (const [i, res] of acked.entries()) {
      const again = await claim(app, id, env.userToken(`acked-${i}`), `k-acked-${i}`);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body).toEqual(res.body);
    }
    const after = env.worker();
    const ackedIds = acked.map((r) => r.body.claim.id as string);
    await eventually(async () => {
      const stored = new Set((await rowsOf(env!, id)).map((r) => r.id));
      return ackedIds.every((c) => stored.has(c));
    }, 15_000);
    // The new server's run was noticed and the campaign verified against Postgres before it sold again.
    const runs = await env.sql()`select report from reconciliation_runs where trigger = 'recovery'`;
    expect(runs.some((r) => r.report.campaigns[0].repairs.verifiedRun)).toBe(true);
    const rows = await rowsOf(env, id);
    // Nobody holds two coupons, whatever happened to the claims whose answer was 503.
    expect(new Set(rows.map((r) => r.user_id)).size).toBe(rows.length);
    await after.close();
  });
});

describe('ACK_DURABILITY=postgres', () => {
  it('answers 201 only once the row is committed; a Redis that loses everything loses no acknowledged claim', async () => {
    const redis = await startPrivateRedis();
    started.push(redis);
    env = await createTestEnv('ack-postgres', {
      REDIS_URL: redis.url,
      ACK_DURABILITY: 'postgres',
      REBUILD_SETTLE_MS: '100',
    });
    const { app } = env.instance();
    const { id } = await createCampaign(app, { totalStock: 150 });
    // No worker runs: a 201 means the API itself committed the row.
    const acked = await Promise.all(users('pg', 100).map((u) => claim(app, id, env!.userToken(u))));
    expect(acked.map((r) => r.status)).toEqual(Array(100).fill(201));
    const rows = await rowsOf(env, id);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acked.map((r) => r.body.claim.id)));

    await redis.restart(); // empty: this server keeps nothing on disk
    const late = users('late', 100);
    await eventually(
      async () => {
        const replies = await Promise.all(
          [...users('pg', 100), ...late].map((u) => claim(app, id, env!.userToken(u))),
        );
        return !replies.some((r) => r.status === 503);
      },
      15_000,
      100,
    );
    // The winners are winners still (409), and only the stock they left was sold.
    const final = await rowsOf(env, id);
    expect(final).toHaveLength(150);
    expect(new Set(final.map((r) => r.user_id)).size).toBe(150);
    for (const res of acked) expect(final.some((r) => r.id === res.body.claim.id)).toBe(true);
    expect((await call(app, 'GET', `/v1/campaigns/${id}`)).body).toMatchObject({
      remaining: 0,
      totalStock: 150,
    });
  });
});
