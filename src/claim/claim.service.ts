import { homeBucket } from '../domain/buckets.ts';
import type { Claim, ClaimOutcome } from '../domain/claim.ts';
import { type Coupon, codePrefix } from '../domain/coupon.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import type { ClaimScriptResult } from '../redis/scripts/claim.ts';
import { scripts } from '../redis/scripts/index.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import type { Acknowledger } from './acknowledge.ts';
import type { BucketDirectory } from './bucket-directory.ts';
import { claimElsewhere, type FallThroughResult } from './fall-through.ts';
import { listClaims } from './list-claims.ts';
import type { SoldOutCache } from './sold-out.ts';

export interface ClaimServiceDeps {
  redis: RedisRouter;
  keyPrefix: string;
  idempotencyTtlSeconds: number;
  /** Makes an accepted claim as durable as ACK_DURABILITY asks, and hands it to the queue. */
  acknowledger: Pick<Acknowledger, 'acknowledge'>;
  /**
   * Called when Redis does not know the campaign, holds it for a rebuild, or fenced it: true when
   * Postgres knows it (a restore is then under way), false when it does not exist.
   */
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  /** Answers claims on campaigns this instance knows are sold out without asking Redis. */
  soldOut?: SoldOutCache;
  /** The user's claims Postgres holds, whatever their state. */
  storedOfUser: (campaignId: string, userId: string) => Promise<Coupon[]>;
  /** Attempts per second a user, and a client address, may make on one campaign, counted in Redis. */
  rate?: { userPerSecond: number; addressPerSecond: number };
  /** How many buckets each campaign has, and which were found empty lately. */
  directory: BucketDirectory;
  /** How long a hold at a user's empty home bucket waits for another bucket to sell the claim. */
  holdMs: number;
}

export interface ClaimRequest {
  campaignId: string;
  userId: string;
  idempotencyKey?: string | undefined;
  /** Where the request came from, for the per-address limit (absent in-process). */
  clientAddress?: string | undefined;
  /**
   * The HTTP request's id: travels with the claim into its pending record and its persist job, for the
   * worker's and the reconciler's log lines.
   */
  requestId?: string | undefined;
}

export type { ListedClaims } from './list-claims.ts';

const REBUILDING = { kind: 'rebuilding' } as const;

export function createClaimService(deps: ClaimServiceDeps) {
  // Each campaign's coupon code prefix (a hash of its id), worked out once per campaign.
  const prefixes = new Map<string, string>();
  const prefixOf = (campaignId: string) => {
    let p = prefixes.get(campaignId);
    if (p === undefined) {
      if (prefixes.size >= 10_000) prefixes.clear();
      p = codePrefix(campaignId);
      prefixes.set(campaignId, p);
    }
    return p;
  };

  /** Runs lua/claim.lua at the user's home bucket of a campaign believed to have `buckets`. */
  const atHome = (req: ClaimRequest, ids: { id: string; code: string }, buckets: number, holdMs: number) => {
    const keys = campaignKeys(deps.keyPrefix, req.campaignId, homeBucket(req.userId, buckets), buckets);
    return deps.redis.run(keys.meta, (r, runId) =>
      scripts.claim(r, keys, {
        campaignId: req.campaignId,
        userId: req.userId,
        claimId: ids.id,
        couponCode: ids.code,
        idempotencyKey: req.idempotencyKey,
        idempotencyTtlSeconds: deps.idempotencyTtlSeconds,
        runId,
        holdMs,
        requestId: req.requestId,
        ...(deps.rate ? { rate: { ...deps.rate, address: req.clientAddress } } : {}),
      }),
    );
  };

  /** Decides the claim at the user's home bucket, and in the others when it is empty. */
  const decide = async (req: ClaimRequest, ids: { id: string; code: string }): Promise<FallThroughResult> => {
    let buckets = deps.directory.count(req.campaignId);
    let result: ClaimScriptResult = await atHome(req, ids, buckets, 0);
    if (result.kind === 'wrong_buckets') {
      // First claim this instance sends to a campaign with buckets: its home is elsewhere.
      buckets = result.buckets;
      deps.directory.learn(req.campaignId, buckets);
      result = await atHome(req, ids, buckets, 0);
    }
    if (result.kind !== 'home_empty') return result;
    return claimElsewhere(deps, {
      campaignId: req.campaignId,
      userId: req.userId,
      claimId: ids.id,
      couponCode: ids.code,
      idempotencyKey: req.idempotencyKey,
      requestId: req.requestId,
      buckets,
      atHome: (holdMs) => atHome(req, ids, buckets, holdMs),
    });
  };

  return {
    /**
     * One round trip to Redis decides the claim (three more when the user's home bucket is empty and
     * another bucket sells it); an accepted claim is then acknowledged and queued.
     */
    async claim(req: ClaimRequest): Promise<ClaimOutcome> {
      // A replay needs the stored claim, so only requests without an Idempotency-Key take the shortcut.
      if (!req.idempotencyKey) {
        const known = deps.soldOut?.check(req.campaignId, req.userId);
        if (known) return known;
      }
      const ids = { id: uuidv7(), code: couponCode(prefixOf(req.campaignId)) };
      const result = await decide(req, ids);
      switch (result.kind) {
        case 'claimed': {
          const buckets = deps.directory.count(req.campaignId);
          const claim: Claim = {
            id: ids.id,
            campaignId: req.campaignId,
            userId: req.userId,
            couponCode: ids.code,
            claimedAt: result.claimedAt,
            ordinal: result.ordinal,
            seq: result.seq,
            ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
            ...(buckets > 1 ? { bucket: homeBucket(req.userId, buckets), buckets } : {}),
            ...(req.requestId ? { requestId: req.requestId } : {}),
          };
          await deps.acknowledger.acknowledge(claim);
          return { kind: 'claimed', claim };
        }
        case 'sold':
          await deps.acknowledger.acknowledge(result.claim);
          return { kind: 'claimed', claim: result.claim };
        case 'replayed':
          // Still pending: its first answer may have been lost with its enqueue (a frozen Redis); the
          // replay makes sure it is durable and on its way, exactly as a fresh claim would be.
          if (result.pending) await deps.acknowledger.acknowledge(result.claim);
          return { kind: 'replayed', claim: result.claim };
        case 'sold_out':
          deps.soldOut?.noteSoldOut(req.campaignId);
          return result;
        case 'not_found':
          return (await deps.restoreIfKnown(req.campaignId)) ? REBUILDING : result;
        case 'rebuilding':
        case 'fenced':
          // Held off (a rebuild, or a server run not verified against Postgres): make sure a restore is
          // under way; a crashed rebuild leaves its marker behind.
          await deps.restoreIfKnown(req.campaignId);
          return REBUILDING;
        case 'hold_in_flight':
        case 'held':
        case 'home_empty':
        case 'wrong_buckets':
          // The Idempotency-Key's claim is being sold in another bucket (or the campaign's buckets moved
          // under a stale instance): its outcome is not known yet; the replay will tell.
          return REBUILDING;
        default:
          return result;
      }
    },

    /**
     * The user's claims in a campaign, oldest first: the pending ones from Redis, the others from
     * Postgres; null when the campaign is unknown.
     */
    listMine: (campaignId: string, userId: string) => listClaims(deps, campaignId, userId),
  };
}

export type ClaimService = ReturnType<typeof createClaimService>;
