import { Redis } from 'ioredis';
import { type PrivateRedis, startPrivateRedis } from '../../src/testing/redis-server.ts';
import { adminClient, mintTokens } from '../lib/api.ts';
import { trackPid } from '../lib/children.ts';
import { runOpenModel } from '../lib/driver.ts';
import { type Fleet, startFleet } from '../lib/fleet.ts';
import { setPhase } from '../lib/progress.ts';
import { type Scratch, scratch } from '../lib/scratch.ts';
import { type TokenSupply, tokenSupply } from '../lib/tokens.ts';
import { claimRound, median, rotation, round2 } from './rounds.ts';

export const MODES = ['redis', 'replica', 'postgres'] as const;
export type Mode = (typeof MODES)[number];

export interface DurabilityOptions {
  apis: number;
  basePort: number;
  rounds: number;
  seconds: number;
  connections: number;
  /** Seconds of the open-model run at half of `redis` mode's peak, per mode. */
  halfPeakSeconds: number;
  adminToken: string;
  jwtSecret: string;
}

export interface ModeFigures {
  mode: Mode;
  claimsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Median over rounds of (this mode / redis) in the same round. */
  ratioVsRedis: number;
  perRoundRatio: number[];
  perRoundRate: number[];
  perRoundP99: number[];
  halfPeak: { ratePerSecond: number; p50Ms: number; p99Ms: number; statuses: Record<string, number> };
  unexpected: number;
}

export interface DurabilityFigures {
  setup: string;
  modes: ModeFigures[];
  /** WAIT calls the primary served while measuring, and replica mode's 201s then (WAITs are coalesced). */
  waits: { calls: number; replicaClaims: number };
  goals: { replicaVsRedis: string; postgresP99AtHalfPeak: string };
}

/** A private primary and its replica (the shared Redis is never reconfigured), stopped by pid. */
async function primaryWithReplica(): Promise<{
  primary: PrivateRedis;
  replica: PrivateRedis;
  stop(): Promise<void>;
}> {
  const primary = await startPrivateRedis(['--repl-diskless-sync-delay', '0']);
  const untrackPrimary = trackPid(`redis-${primary.port}`, () => primary.pid);
  const replica = await startPrivateRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
  const untrackReplica = trackPid(`redis-${replica.port}`, () => replica.pid);
  const stop = async () => {
    await replica.stop();
    untrackReplica();
    await primary.stop();
    untrackPrimary();
  };
  const r = new Redis(replica.url, { maxRetriesPerRequest: 1 });
  try {
    const until = Date.now() + 15_000;
    while (!/master_link_status:up/.test(await r.info('replication'))) {
      if (Date.now() > until) throw new Error('the replica never linked up');
      await new Promise((res) => setTimeout(res, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    r.disconnect();
  }
  return { primary, replica, stop };
}

/**
 * Issue 11's figure: claims/s and p99 of each ACK_DURABILITY mode, side by side in one run. One private
 * primary (with one replica linked) serves three fleets of the same size, one per mode, each with its own
 * worker, key prefix and database; closed-loop rounds go to one fleet at a time in a rotating order, and
 * each mode is compared with `redis` mode in the same round. Then each mode takes the same open-model
 * arrival rate, half of `redis` mode's peak, for its answer latency.
 */
export async function measureDurability(opts: DurabilityOptions): Promise<DurabilityFigures> {
  const servers = await primaryWithReplica();
  const fleets = new Map<Mode, { fleet: Fleet; data: Scratch; campaignId: string; tokens: TokenSupply }>();
  const run = Date.now().toString(36);
  try {
    for (const [i, mode] of MODES.entries()) {
      setPhase(`durability: starting the ${mode} fleet`);
      const data = scratch(`benchack_${mode}`, { redisUrl: null });
      const fleet = await startFleet({
        apis: opts.apis,
        workers: 1,
        basePort: opts.basePort + i * opts.apis,
        env: {
          REDIS_URL: servers.primary.url,
          REDIS_CLUSTER_NODES: '',
          DATABASE_URL: data.databaseUrl,
          REDIS_PREFIX: data.prefix,
          ADMIN_TOKEN: opts.adminToken,
          JWT_SECRET: opts.jwtSecret,
          ACK_DURABILITY: mode,
          RATE_LIMIT_PER_SECOND: '100000',
          RATE_LIMIT_ADDRESS_PER_SECOND: '0',
          LOG_LEVEL: 'warn',
        },
        onLine: (name, line) => {
          if (line.includes('"level":"error"')) console.error(`[${mode} ${name}] ${line}`);
        },
      }).catch(async (err: unknown) => {
        await data.cleanup();
        throw err;
      });
      const campaignId = `ack-${mode}-${run}`;
      await adminClient(fleet.urls[0]!, opts.adminToken).createCampaign({
        id: campaignId,
        totalStock: 50_000_000,
      });
      fleets.set(mode, { fleet, data, campaignId, tokens: tokenSupply(opts.jwtSecret, `${mode}-${run}`) });
    }

    const primary = new Redis(servers.primary.url, { maxRetriesPerRequest: 1 });
    await primary.config('RESETSTAT');
    let replicaClaims = 0;
    const perRound: Record<Mode, { rate: number; p50: number; p99: number }>[] = [];
    const unexpected: Record<Mode, number> = { redis: 0, replica: 0, postgres: 0 };
    // Round 0 warms the JIT and the connections and is not counted.
    for (let r = 0; r <= opts.rounds; r++) {
      const row = {} as Record<Mode, { rate: number; p50: number; p99: number }>;
      for (const mode of rotation([...MODES], r)) {
        const f = fleets.get(mode)!;
        setPhase(`durability ${mode}, round ${r}${r === 0 ? ' (warm-up)' : ''}`);
        const x = await claimRound({
          bases: f.fleet.urls,
          campaignId: f.campaignId,
          tokens: f.tokens,
          seconds: opts.seconds,
          connections: opts.connections,
        });
        row[mode] = { rate: x.rate, p50: x.p50, p99: x.p99 };
        if (mode === 'replica') replicaClaims += x.statuses['201'] ?? 0;
        if (r > 0) unexpected[mode] += x.unexpected;
      }
      console.log(
        `durability round ${r}${r === 0 ? ' (warm-up)' : ''}: ` +
          MODES.map((m) => `${m} ${row[m].rate.toFixed(0)}/s (p99 ${row[m].p99} ms)`).join('  '),
      );
      if (r > 0) perRound.push(row);
    }

    const redisPeak = median(perRound.map((row) => row.redis.rate));
    const halfRate = Math.max(50, Math.round(redisPeak / 2));
    const halfPeak = {} as Record<Mode, ModeFigures['halfPeak']>;
    for (const mode of MODES) {
      const f = fleets.get(mode)!;
      setPhase(`durability ${mode}, ${halfRate}/s open model`);
      const arrivals = halfRate * opts.halfPeakSeconds;
      const tokens = mintTokens(opts.jwtSecret, `half-${mode}-${run}`, arrivals);
      const bases = f.fleet.urls;
      const res = await runOpenModel({
        arrivals,
        arrivalTime: (i) => i / halfRate,
        connectionsPerBase: 32,
        maxSeconds: opts.halfPeakSeconds + 30,
        arrive: async (i, send) => {
          await send({
            base: bases[i % bases.length]!,
            method: 'POST',
            path: `/v1/campaigns/${f.campaignId}/claims`,
            headers: { authorization: `Bearer ${tokens[i]}` },
          });
        },
      });
      halfPeak[mode] = {
        ratePerSecond: halfRate,
        p50Ms: res.latency.p50,
        p99Ms: res.latency.p99,
        statuses: res.statuses,
      };
      unexpected[mode] += res.requests - (res.statuses['201'] ?? 0);
      if (mode === 'replica') replicaClaims += res.statuses['201'] ?? 0;
    }
    setPhase('');
    const waitCalls = Number(/^cmdstat_wait:calls=(\d+)/m.exec(await primary.info('commandstats'))?.[1] ?? 0);
    primary.disconnect();

    const modes = MODES.map((mode): ModeFigures => {
      const ratios = perRound.map((row) => row[mode].rate / row.redis.rate);
      return {
        mode,
        claimsPerSecond: Math.round(median(perRound.map((row) => row[mode].rate))),
        p50Ms: median(perRound.map((row) => row[mode].p50)),
        p99Ms: median(perRound.map((row) => row[mode].p99)),
        ratioVsRedis: round2(median(ratios)),
        perRoundRatio: ratios.map(round2),
        perRoundRate: perRound.map((row) => Math.round(row[mode].rate)),
        perRoundP99: perRound.map((row) => row[mode].p99),
        halfPeak: halfPeak[mode],
        unexpected: unexpected[mode],
      };
    });
    return {
      setup:
        `one private redis-server with one replica linked; per mode ${opts.apis} api instances + 1 worker; ` +
        `${opts.rounds} rotating closed-loop rounds of ${opts.seconds} s, ${opts.connections} connections per instance, ` +
        `after a warm-up round; then ${opts.halfPeakSeconds} s at ${halfRate} claims/s (half of redis mode's peak) per mode`,
      modes,
      waits: { calls: waitCalls, replicaClaims },
      goals: { replicaVsRedis: '>= 0.8', postgresP99AtHalfPeak: '<= 60 ms' },
    };
  } finally {
    setPhase('durability: stopping');
    for (const f of fleets.values()) await f.fleet.stop();
    for (const f of fleets.values()) await f.data.cleanup();
    await servers.stop();
    setPhase('');
  }
}

export function durabilityTable(d: DurabilityFigures): string {
  const lines = d.modes.map(
    (m) =>
      `  ${m.mode.padEnd(9)} ${String(m.claimsPerSecond).padStart(7)}/s  x${m.ratioVsRedis.toFixed(2)} ` +
      `(rounds ${m.perRoundRatio.join(', ')})  p50 ${m.p50Ms} ms  p99 ${m.p99Ms} ms   ` +
      `at ${m.halfPeak.ratePerSecond}/s: p50 ${m.halfPeak.p50Ms} ms p99 ${m.halfPeak.p99Ms} ms` +
      `${m.unexpected ? `  (${m.unexpected} answers other than 201)` : ''}`,
  );
  return [
    `ACK_DURABILITY modes (${d.setup})`,
    '  mode        claims/s  vs redis (per round)          closed loop           open model at half of redis peak',
    ...lines,
    `  replica mode: ${d.waits.replicaClaims} claims acknowledged after ${d.waits.calls} WAIT calls on the primary`,
    `  goals: replica >= 0.8x redis; postgres p99 <= 60 ms at half of peak intake`,
  ].join('\n');
}
