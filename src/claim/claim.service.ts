import type { Claim, ClaimOutcome } from '../domain/claim.ts';
import { campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import { scripts } from '../redis/scripts/index.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import type { Acknowledger } from './acknowledge.ts';
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
  /** Claims already in Postgres, by id (their records left Redis once stored). */
  stored: (ids: string[]) => Promise<Claim[]>;
  /** Attempts per second a user, and a client address, may make on one campaign, counted in Redis. */
  rate?: { userPerSecond: number; addressPerSecond: number };
}

export interface ClaimRequest {
  campaignId: string;
  userId: string;
  idempotencyKey?: string | undefined;
  /** Where the request came from, for the per-address limit (absent in-process). */
  clientAddress?: string | undefined;
}

export interface ListedClaim {
  claim: Claim;
  pending: boolean;
}

const REBUILDING = { kind: 'rebuilding' } as const;

export function createClaimService(deps: ClaimServiceDeps) {
  return {
    /** One round trip to Redis decides the claim; an accepted claim is then acknowledged and queued. */
    async claim(req: ClaimRequest): Promise<ClaimOutcome> {
      // A replay needs the stored claim, so only requests without an Idempotency-Key take the shortcut.
      if (!req.idempotencyKey) {
        const known = deps.soldOut?.check(req.campaignId, req.userId);
        if (known) return known;
      }
      const keys = campaignKeys(deps.keyPrefix, req.campaignId);
      const id = uuidv7();
      const code = couponCode();
      const result = await deps.redis.run(keys.meta, (r, runId) =>
        scripts.claim(r, keys, {
          campaignId: req.campaignId,
          userId: req.userId,
          claimId: id,
          couponCode: code,
          idempotencyKey: req.idempotencyKey,
          idempotencyTtlSeconds: deps.idempotencyTtlSeconds,
          runId,
          ...(deps.rate ? { rate: { ...deps.rate, address: req.clientAddress } } : {}),
        }),
      );
      switch (result.kind) {
        case 'claimed': {
          const claim: Claim = {
            id,
            campaignId: req.campaignId,
            userId: req.userId,
            couponCode: code,
            claimedAt: result.claimedAt,
            ordinal: result.ordinal,
            seq: result.seq,
            ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
          };
          await deps.acknowledger.acknowledge(claim);
          return { kind: 'claimed', claim };
        }
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
        default:
          return result;
      }
    },

    /**
     * The user's claims in a campaign, oldest first: the pending ones from Redis, the others from
     * Postgres; null when the campaign is unknown.
     */
    async listMine(campaignId: string, userId: string): Promise<ListedClaim[] | 'rebuilding' | null> {
      const keys = campaignKeys(deps.keyPrefix, campaignId);
      const listed = await deps.redis.run(keys.meta, (r) => scripts.userClaims(r, keys, userId));
      if (listed === null) return (await deps.restoreIfKnown(campaignId)) ? 'rebuilding' : null;
      const pendingIds = new Set(listed.pending.map((c) => c.id));
      const rest = listed.ids.filter((id) => !pendingIds.has(id));
      const stored = rest.length > 0 ? await deps.stored(rest) : [];
      return [
        ...listed.pending.map((claim) => ({ claim, pending: true })),
        ...stored.map((claim) => ({ claim, pending: false })),
      ].sort((a, b) => a.claim.ordinal - b.claim.ordinal);
    },
  };
}

export type ClaimService = ReturnType<typeof createClaimService>;
