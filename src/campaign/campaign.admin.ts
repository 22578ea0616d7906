import { createHash } from 'node:crypto';
import { campaignId as newCampaignId, uuidv7 } from '../claim/ids.ts';
import { type CampaignsRepo, type DefinitionChanges, toDefinition } from '../db/campaigns.repo.ts';
import type { ChangesRepo, StockEntry } from '../db/changes.repo.ts';
import type { Database, Executor } from '../db/client.ts';
import type { CampaignRow } from '../db/schema.ts';
import type { RedisGate } from '../redis/gate.ts';
import { campaignKeys } from '../redis/keys.ts';
import { AppError, UnavailableError } from '../shared/errors.ts';
import { viaPostgres } from '../shared/infra-errors.ts';
import type { CampaignLoader } from './campaign.loader.ts';
import type { CreateCampaignInput, PatchCampaignInput } from './campaign.schema.ts';
import { type CampaignDefinition, definitionArgs } from './campaign.ts';
import { type AdminCampaign, adminView } from './campaign.view.ts';

/** Who did it and for which request: every operator change is recorded with both. */
export interface Actor {
  actor: string;
  requestId?: string | undefined;
}

export interface StockChangeResult {
  adjustment: StockEntry;
  campaign: AdminCampaign;
  /** True when this answer replays an adjustment made earlier with the same Idempotency-Key. */
  replayed: boolean;
}

export interface CampaignAdminDeps {
  database: Database;
  redis: RedisGate;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  changes: ChangesRepo;
  loader: CampaignLoader;
  /** Tells every instance the campaign changed (drops sold-out snapshots); called after commit. */
  announce: (campaignId: string) => Promise<void>;
  now?: () => number;
}

const notFound = (id: string) => new AppError('campaign_not_found', `campaign ${id} does not exist`);

/** Writes a definition's editable fields into Redis; Postgres is their source of truth. */
export async function writeDefinition(
  redis: RedisGate,
  keyPrefix: string,
  def: CampaignDefinition,
): Promise<void> {
  await redis.run((r) => r.fsSetDefinition(campaignKeys(keyPrefix, def.id).meta, ...definitionArgs(def)));
}

/** Writes a fresh campaign's definition into Redis with full stock; a no-op when it is already there. */
async function initCampaign(redis: RedisGate, keyPrefix: string, def: CampaignDefinition): Promise<void> {
  await redis.run((r) =>
    r.fsInitCampaign(campaignKeys(keyPrefix, def.id).meta, def.totalStock, ...definitionArgs(def)),
  );
}

/** An adjustment id that is the same for every retry carrying one Idempotency-Key. */
function adjustmentId(campaignId: string, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return uuidv7();
  const h = createHash('sha256').update(`${campaignId}\0${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Operator writes. Each runs in one Postgres transaction that holds the campaign row, so writes to one
 * campaign are serialised with each other and with the reconciler; the Redis side is done inside it, and
 * a Redis failure rolls the transaction back (503, nothing changed in Postgres).
 */
export function createCampaignAdmin(deps: CampaignAdminDeps) {
  const { db } = deps.database;
  const now = deps.now ?? Date.now;

  const inTx = <T>(work: (tx: Executor) => Promise<T>): Promise<T> => viaPostgres(db.transaction(work));
  /** Runs a change of one campaign and announces it once committed. */
  const changing = async <T>(campaignId: string, work: (tx: Executor) => Promise<T>): Promise<T> => {
    const result = await inTx(work);
    await deps.announce(campaignId);
    return result;
  };

  /** Applies definition changes under the row lock; `expectedVersion` null skips the If-Match check. */
  const change = (
    id: string,
    expectedVersion: number | null,
    changes: DefinitionChanges,
    action: 'update' | 'pause' | 'resume',
    who: Actor,
  ) =>
    changing(id, async (tx) => {
      const before = await deps.campaigns.lock(tx, id);
      if (!before) throw notFound(id);
      if (expectedVersion !== null && before.version !== expectedVersion) {
        throw new AppError('precondition_failed', `campaign ${id} is at version ${before.version}`, {
          currentVersion: before.version,
        });
      }
      const effective = Object.fromEntries(
        Object.entries(changes).filter(
          ([k, v]) => v !== undefined && !sameValue(before[k as keyof CampaignRow], v),
        ),
      ) as DefinitionChanges;
      if (Object.keys(effective).length === 0) return adminView(before);
      const startsAt = effective.startsAt ?? before.startsAt;
      const endsAt = effective.endsAt ?? before.endsAt;
      if (endsAt <= startsAt) throw new AppError('invalid_request', 'endsAt must be after startsAt');
      const after = await deps.campaigns.update(tx, id, effective);
      await deps.changes.record(tx, {
        campaignId: id,
        actor: who.actor,
        action,
        before: pick(adminView(before), effective),
        after: pick(adminView(after), effective),
        requestId: who.requestId,
      });
      await writeDefinition(deps.redis, deps.keyPrefix, toDefinition(after));
      return adminView(after);
    });

  return {
    /** Postgres first (the source of truth), then the live copy in Redis, in one transaction. */
    create: (input: CreateCampaignInput, who: Actor): Promise<AdminCampaign> =>
      inTx(async (tx) => {
        const row = await deps.campaigns.insert(
          {
            id: input.id ?? newCampaignId(),
            name: input.name,
            totalStock: input.totalStock,
            perUserLimit: input.perUserLimit,
            startsAt: input.startsAt,
            endsAt: input.endsAt,
          },
          tx,
        );
        if (!row) throw new AppError('campaign_exists', `campaign ${input.id} already exists`);
        await deps.changes.record(tx, {
          campaignId: row.id,
          actor: who.actor,
          action: 'create',
          before: null,
          after: adminView(row),
          requestId: who.requestId,
        });
        await initCampaign(deps.redis, deps.keyPrefix, toDefinition(row));
        deps.loader.forget(row.id);
        return adminView(row);
      }),

    patch: (id: string, ifMatch: number, input: PatchCampaignInput, who: Actor) =>
      change(id, ifMatch, input, 'update', who),

    setPaused: (id: string, paused: boolean, who: Actor) =>
      change(id, null, { paused }, paused ? 'pause' : 'resume', who),

    /**
     * Adds or removes stock while claims run. Redis decides (it knows what remains) and journals the
     * change in the same atomic step; Postgres records it in this transaction. A crash between the two
     * leaves a journal entry Postgres lacks, which the reconciler records.
     */
    adjustStock: (
      id: string,
      delta: number,
      who: Actor,
      idempotencyKey?: string,
    ): Promise<StockChangeResult> =>
      changing(id, async (tx) => {
        const row = await deps.campaigns.lock(tx, id);
        if (!row) throw notFound(id);
        const keys = campaignKeys(deps.keyPrefix, id);
        const reply = await deps.redis.run((r) =>
          r.fsAdjustStock(keys.meta, keys.journal, adjustmentId(id, idempotencyKey), delta, who.actor, now()),
        );
        const [code, payload] = reply;
        if (code === -2) {
          throw new AppError(
            'insufficient_stock',
            `only ${payload} coupons remain; cannot remove ${-delta}`,
            {
              remaining: Number(payload),
            },
          );
        }
        if (code === -1 || code === -7) {
          if (code === -1) await deps.loader.campaignMissing(id);
          throw new UnavailableError('redis', undefined, `campaign ${id} is being restored; retry shortly`);
        }
        const entry = JSON.parse(String(payload)) as StockEntry;
        const recorded = await deps.changes.recordStock(tx, id, entry, 'api');
        let campaign = row;
        if (recorded) {
          campaign = await deps.campaigns.addStock(tx, id, entry.delta);
          await deps.changes.record(tx, {
            campaignId: id,
            actor: entry.actor,
            action: 'stock',
            before: { totalStock: entry.totalBefore },
            after: { totalStock: entry.totalAfter, delta: entry.delta, adjustmentId: entry.id },
            requestId: who.requestId,
          });
        }
        return { adjustment: entry, campaign: adminView(campaign), replayed: code === 2 };
      }),

    changes: async (id: string) => {
      const rows = await viaPostgres(deps.changes.list(id));
      return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
    },
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

function pick(view: AdminCampaign, changes: DefinitionChanges): Record<string, unknown> {
  return Object.fromEntries(Object.keys(changes).map((k) => [k, view[k as keyof AdminCampaign]]));
}

export type CampaignAdmin = ReturnType<typeof createCampaignAdmin>;
