import type { Claim, ClaimOutcome } from '../domain/claim.ts';
import type { PersistProducer } from '../queue/persist.queue.ts';
import type { RedisGate } from '../redis/gate.ts';
import { campaignKeys } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import type { SoldOutCache } from './sold-out.ts';

export interface ClaimServiceDeps {
  redis: RedisGate;
  keyPrefix: string;
  idempotencyTtlSeconds: number;
  producer: Pick<PersistProducer, 'submit'>;
  /**
   * Called when Redis does not know the campaign or holds it for a rebuild: true when Postgres knows it
   * (a restore is then under way), false when it does not exist.
   */
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  /** Answers claims on campaigns this instance knows are sold out without asking Redis. */
  soldOut?: SoldOutCache;
  now?: () => number;
}

export interface ClaimRequest {
  campaignId: string;
  userId: string;
  idempotencyKey?: string | undefined;
}

export interface ListedClaim {
  claim: Claim;
  pending: boolean;
}

const REBUILDING = { kind: 'rebuilding' } as const;

export function createClaimService(deps: ClaimServiceDeps) {
  const now = deps.now ?? Date.now;

  return {
    /** One round trip to Redis decides the claim; an accepted claim is then handed to the queue. */
    async claim(req: ClaimRequest): Promise<ClaimOutcome> {
      // A replay needs the stored claim, so only requests without an Idempotency-Key take the shortcut.
      if (!req.idempotencyKey) {
        const known = deps.soldOut?.check(req.campaignId, req.userId);
        if (known) return known;
      }
      const keys = campaignKeys(deps.keyPrefix, req.campaignId);
      const at = now();
      const draft = {
        id: uuidv7(at),
        campaignId: req.campaignId,
        userId: req.userId,
        couponCode: couponCode(),
        claimedAt: at,
        ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
      };
      const result = await deps.redis.run((r) =>
        scripts.claim(r, keys, {
          campaignId: req.campaignId,
          userId: req.userId,
          claimId: draft.id,
          couponCode: draft.couponCode,
          now: at,
          idempotencyKey: req.idempotencyKey,
          idempotencyTtlSeconds: deps.idempotencyTtlSeconds,
        }),
      );
      if (result.kind === 'claimed') {
        const claim = { ...draft, ordinal: result.ordinal };
        deps.producer.submit(claim);
        return { kind: 'claimed', claim };
      }
      if (result.kind === 'sold_out') deps.soldOut?.noteSoldOut(req.campaignId);
      if (result.kind === 'not_found' && (await deps.restoreIfKnown(req.campaignId))) return REBUILDING;
      // Held off for a rebuild: make sure one is under way (a crashed rebuild leaves its marker behind).
      if (result.kind === 'rebuilding') await deps.restoreIfKnown(req.campaignId);
      return result;
    },

    /** The user's claims in a campaign, newest state from Redis; null when the campaign is unknown. */
    async listMine(campaignId: string, userId: string): Promise<ListedClaim[] | 'rebuilding' | null> {
      const keys = campaignKeys(deps.keyPrefix, campaignId);
      const listed = await deps.redis.run((r) => scripts.userClaims(r, keys, userId));
      if (listed === null) return (await deps.restoreIfKnown(campaignId)) ? 'rebuilding' : null;
      return listed;
    },
  };
}

export type ClaimService = ReturnType<typeof createClaimService>;
