import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ChangesRepo } from '../db/changes.repo.ts';
import type { Database } from '../db/client.ts';
import { type Campaign, type DefinitionChanges, effectiveChanges } from '../domain/campaign.ts';
import { allBucketKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import { AppError } from '../shared/errors.ts';
import { campaignId as newCampaignId } from '../shared/ids.ts';
import { campaignNotFound } from './campaign.read.ts';
import type { CreateCampaignInput, PatchCampaignInput } from './campaign.schema.ts';
import { type Actor, campaignWrite } from './operator.ts';

export interface CampaignAdminDeps {
  database: Database;
  redis: RedisRouter;
  keyPrefix: string;
  campaigns: CampaignsRepo;
  changes: ChangesRepo;
  /** Called once a campaign exists, so an earlier "unknown" verdict is not served from a cache. */
  noteCreated: (campaignId: string) => void;
  /** Tells every instance the campaign changed (drops sold-out snapshots); called after commit. */
  announce: (campaignId: string) => Promise<void>;
}

/** What the audit log shows of a definition: the changed fields, dates as ISO strings. */
function audited(c: Campaign, fields: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(fields).map((k) => {
      const v = c[k as keyof Campaign];
      return [k, v instanceof Date ? v.toISOString() : v];
    }),
  );
}

type ChangeArgs = [
  id: string,
  /** The If-Match precondition on the current version; null skips it. */
  matches: ((version: number) => boolean) | null,
  changes: DefinitionChanges,
  action: 'update' | 'pause' | 'resume',
  who: Actor,
];

/** Applies definition changes under the row lock, if the current version meets the precondition. */
function changeDefinition(
  deps: CampaignAdminDeps,
  write: ReturnType<typeof campaignWrite>,
  ...[id, matches, changes, action, who]: ChangeArgs
): Promise<Campaign> {
  return write(id, async (tx) => {
    const before = await deps.campaigns.lock(tx, id);
    if (!before) throw campaignNotFound(id);
    if (matches !== null && !matches(before.version)) {
      throw new AppError('precondition_failed', `campaign ${id} is at version ${before.version}`, {
        currentVersion: before.version,
      });
    }
    const effective = effectiveChanges(before, changes);
    if (Object.keys(effective).length === 0) return before;
    const startsAt = effective.startsAt ?? before.startsAt;
    const endsAt = effective.endsAt ?? before.endsAt;
    if (endsAt <= startsAt) throw new AppError('invalid_request', 'endsAt must be after startsAt');
    const after = await deps.campaigns.update(tx, id, effective);
    await deps.changes.record(tx, {
      campaignId: id,
      actor: who.actor,
      action,
      before: audited(before, effective),
      after: audited(after, effective),
      requestId: who.requestId,
    });
    await Promise.all(
      allBucketKeys(deps.keyPrefix, id, after.buckets).map((keys) =>
        deps.redis.run(keys.meta, (r) => scripts.setDefinition(r, keys, after)),
      ),
    );
    return after;
  });
}

/**
 * Operator writes of definitions: create, edit (with the version the operator last read), pause and
 * resume. Postgres first (the source of truth), then the live copy in Redis, in one transaction.
 */
export function createCampaignAdmin(deps: CampaignAdminDeps) {
  const write = campaignWrite(deps.database, deps.announce);
  const change = (...args: ChangeArgs) => changeDefinition(deps, write, ...args);

  return {
    create: (input: CreateCampaignInput, who: Actor): Promise<Campaign> =>
      deps.database.transaction(async (tx) => {
        const campaign = await deps.campaigns.insert(tx, {
          id: input.id ?? newCampaignId(),
          name: input.name,
          totalStock: input.totalStock,
          perUserLimit: input.perUserLimit,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          buckets: input.buckets,
          couponTtlSeconds: input.couponTtlSeconds ?? null,
          returnExpired: input.returnExpired,
        });
        if (!campaign) throw new AppError('campaign_exists', `campaign ${input.id} already exists`);
        await deps.changes.record(tx, {
          campaignId: campaign.id,
          actor: who.actor,
          action: 'create',
          before: null,
          after: audited(campaign, campaign),
          requestId: who.requestId,
        });
        await Promise.all(
          allBucketKeys(deps.keyPrefix, campaign.id, campaign.buckets).map((keys) =>
            deps.redis.run(keys.meta, (r, runId) => scripts.initCampaign(r, keys, campaign, runId)),
          ),
        );
        deps.noteCreated(campaign.id);
        return campaign;
      }),

    patch: (id: string, matches: (version: number) => boolean, input: PatchCampaignInput, who: Actor) =>
      change(id, matches, input, 'update', who),

    setPaused: (id: string, paused: boolean, who: Actor) =>
      change(id, null, { paused }, paused ? 'pause' : 'resume', who),

    /** The audit log of one campaign, newest first. */
    changes: (id: string) => deps.changes.list(id),
  };
}

export type CampaignAdmin = ReturnType<typeof createCampaignAdmin>;
