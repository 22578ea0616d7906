import { type Scenario, sleep } from './scenario.ts';
import { withRedis } from './world.ts';

/** Faults of Redis: killed (with each kind of persistence), frozen, failed over to a lagging replica. */

const RESTART_AFTER_MS = 1_000;

export const redisKillAlways: Scenario = {
  name: 'redis-kill-always',
  redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
  recovery: 'first-201',
  async inject(ctx) {
    const { primary } = ctx.world.redis;
    ctx.mark('fault');
    await primary.kill();
    ctx.say(`kill -9 redis (appendfsync always); restart from its AOF in ${RESTART_AFTER_MS} ms`);
    await sleep(RESTART_AFTER_MS);
    await primary.restart();
    ctx.mark('heal');
    ctx.say(`redis restarted (pid ${primary.pid})`);
  },
};

export const redisHostCrashEverysec: Scenario = {
  name: 'redis-host-crash-everysec',
  redisArgs: ['--appendonly', 'yes', '--appendfsync', 'everysec'],
  recovery: 'first-201',
  // The disk's copy is taken a second before the crash.
  startAtS: (form) => Math.max(0.5, form.seconds / 3 - 1),
  async inject(ctx) {
    const { primary } = ctx.world.redis;
    const copy = primary.copyData();
    ctx.say('copied the AOF directory (what the disk holds a second before the crash)');
    await sleep(1_000);
    ctx.mark('fault');
    await primary.kill();
    primary.restoreData(copy);
    ctx.say(
      `kill -9 redis (host crash: the last second never reached the disk); restart in ${RESTART_AFTER_MS} ms`,
    );
    await sleep(RESTART_AFTER_MS);
    await primary.restart();
    ctx.mark('heal');
    ctx.say(`redis restarted from the older AOF (pid ${primary.pid})`);
  },
};

export const redisRestartEmpty: Scenario = {
  name: 'redis-restart-empty',
  recovery: 'first-201',
  async inject(ctx) {
    const { primary } = ctx.world.redis;
    ctx.mark('fault');
    await primary.kill();
    ctx.say(`kill -9 redis (no persistence); restart empty in ${RESTART_AFTER_MS} ms`);
    await sleep(RESTART_AFTER_MS);
    await primary.restart();
    ctx.mark('heal');
    ctx.say(`redis restarted empty (pid ${primary.pid})`);
  },
};

export const redisFrozen: Scenario = {
  name: 'redis-frozen',
  recovery: 'first-201',
  async inject(ctx) {
    ctx.world.redis.primary.freeze();
    ctx.mark('fault');
    ctx.say('SIGSTOP redis for 5 s');
    await sleep(5_000);
    ctx.world.redis.primary.thaw();
    ctx.mark('heal');
    ctx.say('SIGCONT redis');
  },
};

const offset = (info: string) => Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? Number.NaN);

export const replicaPromotedLagging: Scenario = {
  name: 'replica-promoted-lagging',
  replica: true,
  recovery: 'first-201',
  async inject(ctx) {
    const { world } = ctx;
    const { primary, replica } = world.redis;
    if (!replica) throw new Error('replica-promoted-lagging needs a replica');
    replica.freeze();
    ctx.mark('fault');
    ctx.say('SIGSTOP the replica for 2 s (it falls behind)');
    await sleep(2_000);
    const primaryOffset = offset(await withRedis(primary, (r) => r.info('replication')));
    await primary.kill();
    replica.thaw();
    const replicaOffset = offset(await withRedis(replica, (r) => r.info('replication')));
    await withRedis(replica, (r) => r.call('REPLICAOF', 'NO', 'ONE'));
    world.redisProxy.retarget('127.0.0.1', replica.port);
    ctx.mark('heal');
    const behind = primaryOffset - replicaOffset;
    ctx.say(
      `kill -9 the primary; replica promoted ${behind} bytes behind it; proxy moved to :${replica.port}`,
    );
    ctx.note(`the promoted replica was ${behind} bytes of replication stream behind the primary`);
    const startedAt = Date.now();
    const next = await world.startRedis([], replica);
    world.redis.primary = replica;
    world.redis.replica = next;
    ctx.say(`a new replica of the promoted server linked up in ${Date.now() - startedAt} ms`);
  },
};
