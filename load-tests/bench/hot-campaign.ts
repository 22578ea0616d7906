import { Redis } from 'ioredis';
import { bucketTag, campaignKeys, queuePrefix } from '../../src/redis/keys.ts';
import { hashSlot } from '../../src/redis/slot.ts';
import type { PrivateCluster } from '../../src/testing/redis-cluster.ts';
import { adminClient } from '../lib/api.ts';
import { runClosedLoop } from '../lib/driver.ts';
import { setPhase } from '../lib/progress.ts';
import type { TokenSupply } from '../lib/tokens.ts';

/** One master's part of a hot-campaign run, from its own INFO commandstats. */
export interface MasterShare {
  node: string;
  /** Buckets of the campaign whose slot this master serves. */
  buckets: number[];
  /** evalsha + eval calls during the run; on the queue's master, minus the jobs BullMQ added. */
  claimScripts: number;
  share: number;
  /** share / (1 / masters): 1 is an even share. */
  vsEven: number;
  holdsQueue: boolean;
}

export interface HotRun {
  buckets: number;
  stock: number;
  claimsPerSecond: number;
  /** From the first request to the last 201. */
  sellOutS: number;
  statuses: Record<string, number>;
  masters: MasterShare[];
  /** Largest master share / even share (the goal: <= 1.2 with 3+ buckets). */
  worstVsEven: number;
  checks: { ok: boolean; what: string }[];
  campaignId: string;
}

interface Answer {
  user: number;
  status: number;
  sentMs: number;
  answeredMs: number;
}

async function scriptCalls(port: number): Promise<number> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const info = await r.info('commandstats');
    let n = 0;
    for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) n += Number(m[2]);
    return n;
  } finally {
    r.disconnect();
  }
}

async function onEachNode(nodes: string[], cmd: (r: Redis) => Promise<unknown>) {
  await Promise.all(
    nodes.map(async (node) => {
      const r = new Redis({ port: Number(node.split(':')[1]), host: '127.0.0.1', maxRetriesPerRequest: 1 });
      try {
        await cmd(r);
      } finally {
        r.disconnect();
      }
    }),
  );
}

/** Which master serves each slot range (CLUSTER SLOTS of the first node). */
export async function slotOwners(node: string): Promise<{ from: number; to: number; node: string }[]> {
  const r = new Redis({ port: Number(node.split(':')[1]), host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const slots = await r.cluster('SLOTS');
    return slots.map(([from, to, master]) => ({ from, to, node: `${master![0]}:${master![1]}` }));
  } finally {
    r.disconnect();
  }
}

/**
 * One hot campaign with `buckets` buckets sold out through the fleet by new users (every tenth request a
 * user who already pressed, who must get 409), in a closed loop until a second after the first 410. No
 * worker runs meanwhile, so each master's evalsha/eval count is the claim scripts it ran (plus BullMQ's
 * job adds on the queue's master, which are subtracted: one script call per job). Checks: exactly `stock`
 * 201s to distinct users, every repeat refused, every bucket at 0, and no 410 answered before a 201's
 * request was sent (stock only falls here, so such a 410 would have been a refusal while stock remained).
 */
export async function hotCampaignRun(opts: {
  cluster: PrivateCluster;
  bases: string[];
  adminToken: string;
  prefix: string;
  tokens: TokenSupply;
  campaignId: string;
  buckets: number;
  stock: number;
  connections: number;
  maxSeconds: number;
  /** Jobs waiting in the persist queue (no worker runs): BullMQ's own script calls. */
  queuedJobs: () => Promise<number>;
}): Promise<HotRun> {
  const admin = adminClient(opts.bases[0]!, opts.adminToken);
  await admin.createCampaign({
    id: opts.campaignId,
    totalStock: opts.stock,
    perUserLimit: 1,
    buckets: opts.buckets,
  });
  const masters = opts.cluster.nodes;
  const owners = await slotOwners(masters[0]!);
  const ownerOf = (key: string) => {
    const slot = hashSlot(key);
    return owners.find((o) => slot >= o.from && slot <= o.to)!.node;
  };
  const queueNode = ownerOf(`${queuePrefix(opts.prefix)}:persist:wait`);
  const jobsBefore = await opts.queuedJobs();
  await onEachNode(masters, (r) => r.config('RESETSTAT'));

  opts.tokens.reserve(opts.stock * 2);
  const userTokens: string[] = [];
  const userOf = new Map<number, number>();
  const answers: Answer[] = [];
  let firstSoldOut = Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  setPhase(`hot campaign, ${opts.buckets} bucket(s)`);
  const loop = await runClosedLoop({
    bases: opts.bases,
    connectionsPerBase: opts.connections,
    seconds: opts.maxSeconds,
    request: (n, base) => {
      if (performance.now() - firstSoldOut > 1_000) return undefined;
      // Every tenth request is the previous user pressing again.
      const user = n % 10 === 9 && userTokens.length > 0 ? userTokens.length - 1 : userTokens.length;
      if (user === userTokens.length) userTokens.push(opts.tokens.next());
      userOf.set(n, user);
      return {
        base,
        method: 'POST',
        path: `/v1/campaigns/${opts.campaignId}/claims`,
        headers: { authorization: `Bearer ${userTokens[user]}` },
      };
    },
    onAnswer: (n, res) => {
      const answeredMs = performance.now() - t0;
      answers.push({
        user: userOf.get(n)!,
        status: res.status,
        sentMs: answeredMs - res.latencyMs,
        answeredMs,
      });
      if (res.status === 410 && answeredMs + t0 < firstSoldOut) firstSoldOut = answeredMs + t0;
    },
  });
  setPhase('');
  const jobsAfter = await opts.queuedJobs();
  const calls = await Promise.all(masters.map((m) => scriptCalls(Number(m.split(':')[1]))));
  const claimCalls = calls.map((c, i) => (masters[i] === queueNode ? c - (jobsAfter - jobsBefore) : c));
  const total = claimCalls.reduce((a, b) => a + b, 0);
  const bucketKeys = Array.from({ length: opts.buckets }, (_, b) =>
    campaignKeys(opts.prefix, opts.campaignId, b, opts.buckets),
  );
  const shares: MasterShare[] = masters.map((node, i) => {
    const share = total > 0 ? claimCalls[i]! / total : 0;
    return {
      node,
      buckets: bucketKeys.flatMap((k) => (ownerOf(k.meta) === node ? [k.bucket] : [])),
      claimScripts: claimCalls[i]!,
      share: Math.round(share * 1000) / 1000,
      vsEven: Math.round(share * masters.length * 100) / 100,
      holdsQueue: node === queueNode,
    };
  });

  const stats = await admin.stats(opts.campaignId);
  const created = answers.filter((a) => a.status === 201);
  return {
    checks: judge(opts, answers, stats, loop.statuses),
    buckets: opts.buckets,
    stock: opts.stock,
    claimsPerSecond: Math.round(created.length / (Math.max(...created.map((a) => a.answeredMs)) / 1000)),
    sellOutS: Math.round(Math.max(...created.map((a) => a.answeredMs))) / 1000,
    statuses: loop.statuses,
    masters: shares,
    worstVsEven: Math.max(...shares.map((s) => s.vsEven)),
    campaignId: opts.campaignId,
  };
}

function judge(
  opts: { stock: number; buckets: number },
  answers: Answer[],
  stats: Awaited<ReturnType<ReturnType<typeof adminClient>['stats']>>,
  statuses: Record<string, number>,
) {
  const created = answers.filter((a) => a.status === 201);
  const winners = new Set(created.map((a) => a.user));
  const refusals = answers.filter((a) => a.status === 410);
  const lastWinnerSent = Math.max(...created.map((a) => a.sentMs));
  const phantom = refusals.filter((a) => a.answeredMs < lastWinnerSent).length;
  const other = Object.entries(statuses)
    .filter(([s]) => !['201', '409', '410'].includes(s))
    .reduce((n, [, c]) => n + c, 0);
  const bucketsLeft = stats.buckets?.filter((b) => b.remaining !== 0).length ?? -1;
  return [
    { ok: created.length === opts.stock, what: `201s ${created.length} = stock ${opts.stock}` },
    {
      ok: winners.size === created.length,
      what: `no user over the limit of 1: ${winners.size} distinct winners of ${created.length} 201s`,
    },
    {
      ok: stats.claimed === opts.stock && stats.remaining === 0 && bucketsLeft === 0,
      what: `Redis: claimed ${stats.claimed}, remaining ${stats.remaining}, buckets with stock left ${bucketsLeft} of ${stats.buckets?.length}`,
    },
    { ok: phantom === 0, what: `410s answered before the last winner's request was sent: ${phantom}` },
    { ok: other === 0, what: `answers other than 201, 409, 410: ${other}` },
  ];
}

/**
 * How often buckets spread evenly, over `samples` made-up campaign ids on this cluster's slot map (by
 * bucket count, each bucket taking an equal part of the traffic): the share of campaigns whose every
 * master holds within 1.2x of an even share, and the mean of the busiest master's share vs even. Pure
 * arithmetic on keys.ts' bucketTag, so it says what the placement does beyond the few campaigns sold.
 */
export function placementOdds(
  owners: { from: number; to: number; node: string }[],
  buckets: number,
  samples = 1_000,
): { buckets: number; evenShare: number; meanWorstVsEven: number } {
  const nodes = [...new Set(owners.map((o) => o.node))];
  const ownerOf = (slot: number) => owners.find((o) => slot >= o.from && slot <= o.to)!.node;
  let even = 0;
  let worst = 0;
  for (let i = 0; i < samples; i++) {
    const id = `placement-${i}`;
    const counts = new Map(nodes.map((n) => [n, 0]));
    for (let b = 0; b < buckets; b++) {
      const node = ownerOf(hashSlot(bucketTag(id, b, buckets)));
      counts.set(node, counts.get(node)! + 1);
    }
    const vsEven = [...counts.values()].map((c) => (c * nodes.length) / buckets);
    worst += Math.max(...vsEven);
    if (vsEven.every((x) => x <= 1.2 && x >= 1 / 1.2)) even++;
  }
  return {
    buckets,
    evenShare: Math.round((even / samples) * 1000) / 1000,
    meanWorstVsEven: Math.round((worst / samples) * 100) / 100,
  };
}
