import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { definitionArgs, liveFields, parseLiveCampaign } from '../campaign/campaign.ts';
import { type Claim, parseRecord } from '../claim/claim.ts';
import { uuidv7 } from '../claim/ids.ts';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ChangesRepo, StockEntry } from '../db/changes.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { Database, Executor } from '../db/client.ts';
import type { RunsRepo } from '../db/runs.repo.ts';
import type { CampaignRow } from '../db/schema.ts';
import type { PersistJob, PersistProducer } from '../queue/persist.queue.ts';
import { campaignKeys } from '../redis/keys.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { checkCounters, checkPerUser, countPerUser } from './checks.ts';
import { rebuildCampaign } from './rebuild.ts';
import { type CampaignReport, type RunReport, unrepaired, type Violation } from './report.ts';

/** Advisory lock namespace: one reconciler at a time per campaign, across every process. */
const LOCK_NAMESPACE = 7_313_002;

export interface ReconcilerDeps {
  database: Database;
  /** A background connection: reconciling reads whole hashes, which must not queue behind claims. */
  redis: Redis;
  keyPrefix: string;
  repos: { campaigns: CampaignsRepo; claims: ClaimsRepo; changes: ChangesRepo; runs: RunsRepo };
  producer: Pick<PersistProducer, 'enqueue'>;
  queue: Queue<PersistJob>;
  /** A pending claim younger than this is in transit, not lost. */
  graceMs: number;
  /** Pause between holding claims off and reading the queue during a rebuild. */
  settleMs: number;
  idempotencyTtlSeconds: number;
  /** Scheduled runs look at campaigns that have not ended, or ended within this window. */
  lookbackMs: number;
  log: Logger;
  /** Tells every instance a campaign changed (after a pass that repaired something). */
  announce?: (campaignId: string) => Promise<void>;
  now?: () => number;
}

export type Trigger = RunReport['trigger'];

/**
 * One reconciliation pass, behind every door (scheduler, admin endpoint, CLI, automatic recovery).
 * Safe by construction when two run at once: each campaign is reconciled inside a Postgres transaction
 * that takes a per-campaign advisory lock and holds the campaign row, so two passes over one campaign
 * run one after the other; every repair is idempotent, and a requeued claim is re-stamped in the pending
 * set so the next pass leaves it to its job for another grace period.
 */
export function createReconciler(deps: ReconcilerDeps) {
  const { redis, repos } = deps;
  const now = deps.now ?? Date.now;
  // One campaign pass at a time in this process: a pass holds a transaction (one pooled connection)
  // and needs another for its queries, so passes waiting on the advisory lock must not pile up and
  // drain the pool. Other processes are serialised by the advisory lock itself.
  let queue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };

  const reconcileCampaign = (id: string, tag: string): Promise<CampaignReport> =>
    deps.database.db.transaction(async (tx) => {
      const started = now();
      deps.log.debug('reconcile: waiting for the campaign lock', { campaignId: id });
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${id}))`);
      let row = await repos.campaigns.lock(tx, id);
      deps.log.debug('reconcile: campaign locked', { campaignId: id });
      if (!row) throw new AppError('campaign_not_found', `campaign ${id} does not exist`);
      const keys = campaignKeys(deps.keyPrefix, id);
      const violations: Violation[] = [];
      const repairs: CampaignReport['repairs'] = {
        rebuilt: false,
        definitionSynced: false,
        stockChangesRecorded: 0,
        countersFixed: false,
        markedPersisted: 0,
        requeued: 0,
      };

      // 1. Redis lost state: the campaign, its rebuild marker left by a crash, or claims Postgres has.
      const live = parseLiveCampaign(id, await redis.hmget(keys.meta, ...liveFields));
      const persistedIds = await repos.claims.idsForCampaign(id);
      const redisIds = new Set(await redis.hkeys(keys.claims));
      const lost = [...persistedIds].filter((c) => !redisIds.has(c)).length;
      if (!live || live.rebuilding || lost > 0) {
        const result = await rebuildCampaign({ ...deps, claims: repos.claims, now }, row);
        repairs.rebuilt = true;
        violations.push({
          invariant: 'redis_state',
          message: !live
            ? 'the campaign was missing from Redis'
            : live.rebuilding
              ? 'a rebuild had been interrupted'
              : `${lost} persisted claims were missing from Redis`,
          values: { missingClaims: lost, rebuild: result },
          repaired: true,
        });
        if (result.dropped.length > 0) {
          violations.push({
            invariant: 'I3',
            message: `${result.dropped.length} claims collided on (user, ordinal) and were left out`,
            values: { dropped: result.dropped.slice(0, 50) },
            repaired: false,
          });
        }
      } else if (definitionDiffers(live, row)) {
        // 2. Definition drift (a crash between a Postgres commit and the Redis write, or a manual edit).
        await redis.fsSetDefinition(keys.meta, ...definitionArgs(row));
        repairs.definitionSynced = true;
        violations.push({
          invariant: 'definition',
          message: 'Redis held a different definition than Postgres; copied from Postgres',
          values: { redisVersion: live.version, postgresVersion: row.version },
          repaired: true,
        });
      }

      // 3. Stock changes Redis applied and journaled but Postgres never recorded (a crash in between).
      row = await recordJournal(tx, row, keys.journal, repairs, violations);

      // 4. Counters against the claim records and the total Postgres records (I1, I2).
      const before = parseLiveCampaign(id, await redis.hmget(keys.meta, ...liveFields));
      const records = await redis.hlen(keys.claims);
      const found = before ? checkCounters({ ...pick(before), claimRecords: records }) : [];
      const [code] = await redis.fsReconcileCounters(keys.meta, keys.claims, row.totalStock);
      if (code === 1) repairs.countersFixed = true;
      for (const v of found) violations.push({ ...v, repaired: code === 1 && v.invariant !== 'I1' });
      if (before && before.totalStock !== row.totalStock) {
        violations.push({
          invariant: 'stock',
          message: `Redis total stock ${before.totalStock} differed from Postgres ${row.totalStock}`,
          values: { redis: before.totalStock, postgres: row.totalStock },
          repaired: code === 1,
        });
      }
      if (code === -1 && !found.some((v) => v.invariant === 'I1')) {
        violations.push({
          invariant: 'I1',
          message: `oversold: ${records} claims for ${row.totalStock} coupons`,
          values: { totalStock: row.totalStock, claimRecords: records },
          repaired: false,
        });
      }

      // 5. Pending claims past the grace period: persisted ones are marked, the others requeued (I4).
      await settlePending(id, keys, tag, repairs, violations);

      // 6. Claim records neither pending nor in Postgres: acknowledged and dropped somewhere (I4).
      await recoverUnpending(id, keys, tag, persistedIds, repairs, violations);

      // 7. Per-user limits in Redis (I3) and in Postgres (I5).
      violations.push(
        ...checkPerUser('redis', countPerUser(await redis.hgetall(keys.users)), row.perUserLimit),
      );
      violations.push(
        ...checkPerUser('postgres', await repos.claims.usersOver(id, row.perUserLimit), row.perUserLimit),
      );

      // 8. Where things stand now (I6 holds once nothing is pending).
      const after = parseLiveCampaign(id, await redis.hmget(keys.meta, ...liveFields));
      const [claimRecords, pending, persisted] = await Promise.all([
        redis.hlen(keys.claims),
        redis.zcard(keys.pending),
        repos.claims.countByCampaign(id),
      ]);
      const claimed = after?.claimed ?? 0;
      if (pending === 0 && persisted !== claimed) {
        violations.push({
          invariant: 'I6',
          message: `nothing is pending, yet Postgres has ${persisted} claims and Redis ${claimed}`,
          values: { persisted, claimed },
          repaired: false,
        });
      }
      return {
        campaignId: id,
        durationMs: now() - started,
        redis: {
          totalStock: after?.totalStock ?? 0,
          remaining: after?.remaining ?? 0,
          claimed,
          claimRecords,
          pending,
        },
        postgres: { totalStock: row.totalStock, persisted },
        repairs,
        violations,
        drained: pending === 0 && persisted === claimed,
      };
    });

  async function recordJournal(
    tx: Executor,
    row: CampaignRow,
    journalKey: string,
    repairs: CampaignReport['repairs'],
    violations: Violation[],
  ): Promise<CampaignRow> {
    const journal = await redis.hgetall(journalKey);
    const entries = Object.values(journal).map((e) => JSON.parse(e) as StockEntry);
    const recorded = await repos.changes.recordedStock(
      tx,
      entries.map((e) => e.id),
    );
    let current = row;
    for (const entry of entries.filter((e) => !recorded.has(e.id)).sort((a, b) => a.at - b.at)) {
      if (!(await repos.changes.recordStock(tx, row.id, entry, 'reconciler'))) continue;
      current = await repos.campaigns.addStock(tx, row.id, entry.delta);
      await repos.changes.record(tx, {
        campaignId: row.id,
        actor: entry.actor,
        action: 'stock',
        before: { totalStock: entry.totalBefore },
        after: {
          totalStock: entry.totalAfter,
          delta: entry.delta,
          adjustmentId: entry.id,
          recordedBy: 'reconciler',
        },
      });
      repairs.stockChangesRecorded++;
    }
    if (repairs.stockChangesRecorded > 0) {
      violations.push({
        invariant: 'stock',
        message: `${repairs.stockChangesRecorded} stock changes applied in Redis were missing from Postgres; recorded`,
        values: { recorded: repairs.stockChangesRecorded },
        repaired: true,
      });
    }
    return current;
  }

  async function settlePending(
    id: string,
    keys: ReturnType<typeof campaignKeys>,
    tag: string,
    repairs: CampaignReport['repairs'],
    violations: Violation[],
  ) {
    const stale = await redis.zrangebyscore(keys.pending, '-inf', `(${now() - deps.graceMs}`);
    if (stale.length === 0) return;
    const inPostgres = await repos.claims.existing(stale);
    const done = stale.filter((c) => inPostgres.has(c));
    if (done.length > 0) {
      await redis.zrem(keys.pending, ...done);
      repairs.markedPersisted = done.length;
    }
    const missing = stale.filter((c) => !inPostgres.has(c));
    await requeue(
      id,
      keys,
      tag,
      missing,
      repairs,
      violations,
      'had not reached Postgres after the grace period',
    );
  }

  async function recoverUnpending(
    id: string,
    keys: ReturnType<typeof campaignKeys>,
    tag: string,
    persistedIds: Set<string>,
    repairs: CampaignReport['repairs'],
    violations: Violation[],
  ) {
    const [all, pending] = await Promise.all([
      redis.hkeys(keys.claims),
      redis.zrange(keys.pending, '0', '-1'),
    ]);
    const pendingIds = new Set(pending);
    const candidates = all.filter((c) => !pendingIds.has(c) && !persistedIds.has(c));
    if (candidates.length === 0) return;
    const stored = await repos.claims.existing(candidates);
    const dropped = candidates.filter((c) => !stored.has(c));
    await requeue(id, keys, tag, dropped, repairs, violations, 'were neither pending nor in Postgres');
  }

  async function requeue(
    id: string,
    keys: ReturnType<typeof campaignKeys>,
    tag: string,
    ids: string[],
    repairs: CampaignReport['repairs'],
    violations: Violation[],
    why: string,
  ) {
    if (ids.length === 0) return;
    const claims: Claim[] = [];
    for (const raw of await redis.hmget(keys.claims, ...ids)) if (raw) claims.push(parseRecord(raw));
    const refused = await repos.claims.conflicting(claims);
    const sendable = claims.filter((c) => !refused.has(c.id));
    if (sendable.length > 0) {
      await deps.producer.enqueue(sendable, `r-${tag}`);
      // Re-stamp (or re-add) as pending now: in flight again, not lost, for another grace period.
      const stamp = now();
      await redis.zadd(keys.pending, ...sendable.flatMap((c) => [String(stamp), c.id]));
      repairs.requeued += sendable.length;
      violations.push({
        invariant: 'I4',
        message: `${sendable.length} acknowledged claims ${why}; requeued`,
        values: { claimIds: sendable.slice(0, 50).map((c) => c.id) },
        repaired: true,
      });
    }
    if (refused.size > 0) {
      violations.push({
        invariant: 'I5',
        message: `${refused.size} claims conflict with other rows in Postgres (same coupon, or same user and ordinal)`,
        values: { claimIds: [...refused].slice(0, 50), campaignId: id },
        repaired: false,
      });
    }
  }

  return {
    /**
     * One pass. An aborted signal stops it between campaigns (each campaign is one transaction and every
     * repair is idempotent, so a partial pass is safe and the next one carries on); shutdown uses this.
     */
    async run(opts: {
      trigger: Trigger;
      campaignId?: string | undefined;
      signal?: AbortSignal;
    }): Promise<RunReport> {
      const startedAt = now();
      const ids = opts.campaignId
        ? [opts.campaignId]
        : (await repos.campaigns.recent(new Date(startedAt - deps.lookbackMs))).map((c) => c.id);
      const tag = uuidv7(startedAt).replaceAll('-', '');
      const campaigns: CampaignReport[] = [];
      for (const id of ids) {
        if (opts.signal?.aborted) break;
        const report = await oneAtATime(() => reconcileCampaign(id, tag));
        campaigns.push(report);
        const r = report.repairs;
        if (r.rebuilt || r.definitionSynced || r.countersFixed || r.stockChangesRecorded > 0) {
          await deps
            .announce?.(id)
            .catch((err: unknown) => deps.log.warn('announce failed', { campaignId: id, err }));
        }
      }
      const interrupted = campaigns.length < ids.length;
      const finishedAt = now();
      const report: RunReport = {
        runId: null,
        trigger: opts.trigger,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: new Date(finishedAt).toISOString(),
        durationMs: finishedAt - startedAt,
        ok: true,
        interrupted,
        campaigns,
      };
      report.ok = unrepaired(report).length === 0;
      report.runId = await repos.runs.insert(report, opts.campaignId ?? null);
      const level = report.ok ? 'info' : 'warn';
      deps.log[level]('reconciliation finished', {
        runId: report.runId,
        trigger: opts.trigger,
        campaigns: campaigns.length,
        unrepaired: unrepaired(report).length,
        interrupted,
        durationMs: report.durationMs,
      });
      return report;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;

function pick(c: { totalStock: number; remaining: number; claimed: number }) {
  return { totalStock: c.totalStock, remaining: c.remaining, claimed: c.claimed };
}

function definitionDiffers(
  live: { name: string; perUserLimit: number; startsAt: number; endsAt: number; paused: boolean },
  row: CampaignRow,
): boolean {
  return (
    live.name !== row.name ||
    live.perUserLimit !== row.perUserLimit ||
    live.startsAt !== row.startsAt.getTime() ||
    live.endsAt !== row.endsAt.getTime() ||
    live.paused !== row.paused
  );
}
