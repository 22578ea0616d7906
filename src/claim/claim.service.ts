import type { PersistProducer } from '../queue/persist.queue.ts';
import type { RedisGate } from '../redis/gate.ts';
import { campaignKeys } from '../redis/keys.ts';
import { type ClaimOutcome, type ClaimView, claimView, outcomeFromScript, parseRecord } from './claim.ts';
import { couponCode, uuidv7 } from './ids.ts';
import type { SoldOutCache } from './sold-out.ts';

export interface ClaimServiceDeps {
  redis: RedisGate;
  keyPrefix: string;
  idempotencyTtlSeconds: number;
  producer: Pick<PersistProducer, 'submit'>;
  /** Called when Redis does not know the campaign: true when Postgres has it (it is being restored). */
  campaignMissing: (campaignId: string) => Promise<boolean>;
  /** Answers claims on campaigns this instance knows are sold out without asking Redis. */
  soldOut?: SoldOutCache;
  now?: () => number;
}

export interface ClaimRequest {
  campaignId: string;
  userId: string;
  idempotencyKey?: string | undefined;
}

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
      const idemKey = req.idempotencyKey ?? '';
      const at = now();
      const claimId = uuidv7(at);
      const coupon = couponCode();
      const reply = await deps.redis.run((r) =>
        r.fsClaim(
          keys.meta,
          keys.users,
          keys.claims,
          keys.pending,
          keys.idem(req.userId, idemKey),
          req.campaignId,
          req.userId,
          claimId,
          coupon,
          at,
          idemKey,
          deps.idempotencyTtlSeconds,
        ),
      );
      const outcome = outcomeFromScript(reply, {
        id: claimId,
        campaignId: req.campaignId,
        userId: req.userId,
        couponCode: coupon,
        claimedAt: at,
        ...(idemKey ? { idempotencyKey: idemKey } : {}),
      });
      if (outcome.kind === 'claimed') deps.producer.submit(outcome.claim);
      else if (outcome.kind === 'sold_out') deps.soldOut?.noteSoldOut(req.campaignId);
      if (outcome.kind === 'not_found' && (await deps.campaignMissing(req.campaignId))) {
        return { kind: 'rebuilding' };
      }
      // Held off for a rebuild: make sure one is under way (a crashed rebuild leaves its marker behind).
      if (outcome.kind === 'rebuilding') await deps.campaignMissing(req.campaignId);
      return outcome;
    },

    /** The user's claims in a campaign, newest state from Redis; null when the campaign is unknown. */
    async listMine(campaignId: string, userId: string): Promise<ClaimView[] | 'rebuilding' | null> {
      const keys = campaignKeys(deps.keyPrefix, campaignId);
      const reply = await deps.redis.run((r) =>
        r.fsUserClaims(keys.meta, keys.users, keys.claims, keys.pending, userId),
      );
      if (reply[0] === -1) return (await deps.campaignMissing(campaignId)) ? 'rebuilding' : null;
      const views: ClaimView[] = [];
      for (let i = 1; i + 1 < reply.length; i += 2) {
        const status = Number(reply[i + 1]) === 1 ? 'pending' : 'persisted';
        views.push(claimView(parseRecord(String(reply[i])), status));
      }
      return views;
    },
  };
}

export type ClaimService = ReturnType<typeof createClaimService>;
