import type { Acknowledger } from '../claim/acknowledge.ts';
import type { SoldOutCache } from '../claim/sold-out.ts';
import type { Bundle, BundlesRepo } from '../db/bundles.repo.ts';
import type { Claim, NotActiveReason } from '../domain/claim.ts';
import { codePrefix } from '../domain/coupon.ts';
import { bundleDecisionKey, bundleIdemKey, campaignKeys } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';
import type { ReserveResult } from '../redis/scripts/bundle.ts';
import { scripts } from '../redis/scripts/index.ts';
import { couponCode, uuidv7 } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import { bundleNotFound } from './bundle.admin.ts';
import { type Decision, decide, readDecision } from './decision.ts';

export interface BundleServiceDeps {
  redis: RedisRouter;
  keyPrefix: string;
  bundles: Pick<BundlesRepo, 'find'>;
  acknowledger: Pick<Acknowledger, 'acknowledge'>;
  /** True when Postgres knows the campaign (a restore of Redis' copy is then under way). */
  restoreIfKnown: (campaignId: string) => Promise<boolean>;
  /** Tells every instance a campaign's stock came back (drops sold-out snapshots). */
  announce: (campaignId: string) => Promise<void>;
  /** How long a reservation waits for its pack's decision before the reconciler settles it. */
  holdMs: number;
  idempotencyTtlSeconds: number;
  log: Logger;
  /** The sold-out snapshots single claims use: a pack with a campaign known sold out is refused at once. */
  soldOut?: Pick<SoldOutCache, 'check' | 'noteSoldOut'>;
}

export type BundleOutcome =
  | { kind: 'claimed' | 'replayed'; claims: Claim[] }
  | { kind: 'not_active'; reason: NotActiveReason; campaignIds: string[] }
  | { kind: 'limit_reached' | 'sold_out'; campaignIds: string[] }
  | { kind: 'rebuilding' };

const REBUILDING = { kind: 'rebuilding' } as const;

/** A reservation attempt whose answer was lost (Redis did not reply in time): it may exist. */
type Attempt = { campaignId: string; claimId: string; result: ReserveResult | { kind: 'unknown' } };

/**
 * The refusal a press gets, most definite first: a campaign that is not active, then the limit, then
 * stock; a campaign Redis could not answer for (or is being restored) makes it 503 only when nothing
 * refused outright.
 */
function refusalOf(attempts: Attempt[]): BundleOutcome {
  const ids = (kind: string) => attempts.filter((a) => a.result.kind === kind).map((a) => a.campaignId);
  const inactive = attempts.find((a) => a.result.kind === 'not_active');
  if (inactive && inactive.result.kind === 'not_active') {
    return { kind: 'not_active', reason: inactive.result.reason, campaignIds: ids('not_active') };
  }
  const limited = ids('limit_reached');
  if (limited.length > 0) return { kind: 'limit_reached', campaignIds: limited };
  const soldOut = ids('sold_out');
  if (soldOut.length > 0) return { kind: 'sold_out', campaignIds: soldOut };
  return REBUILDING;
}

/**
 * Gift packs: one coupon from each of a pack's campaigns, all or nothing. The campaigns live on other
 * slots (other masters on a cluster), so no one script can decide them together. Two phases:
 *  1. reserve in every campaign at once (lua/reserve_unit.lua: the unit and the user's place are taken,
 *     with a deadline);
 *  2. record the decision once (SET NX of the press' decision key: commit when every campaign reserved,
 *     abort otherwise), then apply it everywhere (commit_reservation.lua / abort_reservation.lua).
 * Whoever sets the decision first wins: the reconciler settles a reservation past its deadline by
 * setting "abort" if nobody decided (the instance died, or stalled), or by applying what was decided.
 * So a reservation is committed only when the whole pack is, and never both committed and aborted.
 */
export function createBundleService(deps: BundleServiceDeps) {
  // Packs are fixed once created: each is read from Postgres once per instance.
  const known = new Map<string, Bundle>();
  const bundleOf = async (id: string): Promise<Bundle> => {
    const hit = known.get(id);
    if (hit) return hit;
    const found = await deps.bundles.find(id);
    if (!found) throw bundleNotFound(id);
    if (known.size >= 10_000) known.clear();
    known.set(id, found);
    return found;
  };
  const decisionTtl = Math.max(deps.idempotencyTtlSeconds, 3_600);

  const keysOf = (campaignId: string) => campaignKeys(deps.keyPrefix, campaignId);

  const reserveAll = (bundle: Bundle, userId: string, bundleClaimId: string): Promise<Attempt[]> =>
    Promise.all(
      bundle.campaignIds.map(async (campaignId): Promise<Attempt> => {
        const keys = keysOf(campaignId);
        const reservation = {
          campaignId,
          userId,
          claimId: uuidv7(),
          couponCode: couponCode(codePrefix(campaignId)),
          bundleClaimId,
        };
        const result = await deps.redis
          .run(keys.meta, (r, runId) =>
            scripts.reserveUnit(r, keys, reservation, { runId, holdMs: deps.holdMs }),
          )
          .catch(() => ({ kind: 'unknown' as const }));
        if (result.kind === 'not_found' || result.kind === 'fenced' || result.kind === 'rebuilding')
          await deps.restoreIfKnown(campaignId).catch(() => false);
        return { campaignId, claimId: reservation.claimId, result };
      }),
    );

  /** Gives back every reservation that was (or may have been) made; the reconciler retries failures. */
  const abortAll = async (attempts: Attempt[]) => {
    await Promise.all(
      attempts
        .filter((a) => a.result.kind === 'reserved' || a.result.kind === 'unknown')
        .map(async (a) => {
          const keys = keysOf(a.campaignId);
          const aborted = await deps.redis
            .run(keys.meta, (r) => scripts.abortReservation(r, keys, a.claimId))
            .catch((err) => {
              deps.log.warn('bundle abort deferred to the reconciler', { claimId: a.claimId, err });
              return null;
            });
          // Stock back from zero: every instance's sold-out snapshot of it is now wrong.
          if (aborted?.kind === 'aborted' && aborted.remaining === 1)
            await deps.announce(a.campaignId).catch(() => {});
        }),
    );
  };

  /** Applies "commit" everywhere; false when a campaign could not confirm it (Redis unavailable). */
  const commitAll = async (claims: Claim[]): Promise<boolean> => {
    const results = await Promise.all(
      claims.map(async (c) => {
        const keys = keysOf(c.campaignId);
        return deps.redis
          .run(keys.meta, (r) => scripts.commitReservation(r, keys, c.id))
          .catch(() => ({ kind: 'unavailable' as const }));
      }),
    );
    const lost = claims.filter((_, i) => results[i]!.kind === 'lost');
    if (lost.length > 0) {
      // Redis lost the reservation between the phases (a restart or a rebuild): the pack is not whole.
      deps.log.error('bundle committed but a reservation was lost with Redis', {
        bundleClaimId: claims[0]!.bundleClaimId,
        claimIds: lost.map((c) => c.id),
      });
    }
    return results.every((r) => r.kind === 'committed' || r.kind === 'already');
  };

  const acknowledgeAll = (claims: Claim[]) =>
    Promise.all(claims.map((c) => deps.acknowledger.acknowledge(c)));

  /** An earlier press under the same Idempotency-Key: its answer, or null to press afresh. */
  const replay = async (bundleClaimId: string): Promise<BundleOutcome | null> => {
    const decision = await readDecision(deps.redis, deps.keyPrefix, bundleClaimId);
    if (decision === null) return REBUILDING; // still being decided: the replay will tell
    if (decision.state === 'abort') return null;
    if (!(await commitAll(decision.claims))) return REBUILDING;
    await acknowledgeAll(decision.claims);
    return { kind: 'replayed', claims: decision.claims };
  };

  /** What a refusal tells the rest of the instance: restores to start, campaigns seen sold out. */
  const noteRefusals = async (attempts: Attempt[]) => {
    for (const a of attempts) {
      if (a.result.kind === 'sold_out') deps.soldOut?.noteSoldOut(a.campaignId);
      if (a.result.kind === 'not_found' || a.result.kind === 'fenced' || a.result.kind === 'rebuilding')
        await deps.restoreIfKnown(a.campaignId).catch(() => false);
    }
  };

  /**
   * Every campaign on one server (standalone Redis): the whole pack is checked and sold by one script
   * (lua/claim_pack.lua), its decision record written in the same step, so no reservation is ever left
   * behind and a refusal changed nothing. A timeout answers 503 (outcome unknown): the Idempotency-Key's
   * replay reads the decision record.
   */
  const inOneStep = async (
    bundle: Bundle,
    req: { userId: string; idempotencyKey?: string | undefined },
    bundleClaimId: string,
  ): Promise<BundleOutcome> => {
    const decisionKey = bundleDecisionKey(deps.keyPrefix, bundleClaimId);
    const parts = bundle.campaignIds.map((campaignId) => ({
      keys: keysOf(campaignId),
      claimId: uuidv7(),
      couponCode: couponCode(codePrefix(campaignId)),
    }));
    const result = await deps.redis.run(decisionKey, (r, runId) =>
      scripts.claimPack(r, {
        decisionKey,
        userId: req.userId,
        runId,
        bundleClaimId,
        decisionTtlSeconds: decisionTtl,
        parts,
      }),
    );
    if (result.kind === 'claimed') {
      await acknowledgeAll(result.claims);
      return { kind: 'claimed', claims: result.claims };
    }
    const attempts = result.results.map(
      (r, i): Attempt => ({
        campaignId: bundle.campaignIds[i]!,
        claimId: parts[i]!.claimId,
        result: r,
      }),
    );
    await noteRefusals(attempts);
    // An Idempotency-Key's replay must learn that this press was refused (and may press afresh).
    if (req.idempotencyKey)
      await decide(deps.redis, deps.keyPrefix, bundleClaimId, { state: 'abort' }, decisionTtl).catch(
        () => null,
      );
    return refusalOf(attempts);
  };

  /** Binds an Idempotency-Key to this press; an earlier binding is returned instead. */
  const bindKey = async (idemKey: string, bundleClaimId: string, fresh: boolean): Promise<string | null> => {
    const key = idemKey;
    const set = await deps.redis.run(key, (r) =>
      fresh
        ? r.set(key, bundleClaimId, 'EX', deps.idempotencyTtlSeconds, 'NX')
        : r.set(key, bundleClaimId, 'EX', deps.idempotencyTtlSeconds),
    );
    if (set === 'OK') return null;
    return deps.redis.run(key, (r) => r.get(key));
  };

  return {
    async claim(req: {
      bundleId: string;
      userId: string;
      idempotencyKey?: string | undefined;
    }): Promise<BundleOutcome> {
      const bundle = await bundleOf(req.bundleId);
      let bundleClaimId = uuidv7();
      if (req.idempotencyKey) {
        const key = bundleIdemKey(deps.keyPrefix, bundle.id, req.userId, req.idempotencyKey);
        const earlier = await bindKey(key, bundleClaimId, true);
        if (earlier) {
          const answer = await replay(earlier);
          if (answer) return answer;
          // The earlier press was refused: this one is a new press under the same key.
          bundleClaimId = uuidv7();
          await bindKey(key, bundleClaimId, false);
        }
      }

      // Most presses after a campaign of the pack ran out are refused here, without a round trip.
      if (!req.idempotencyKey && deps.soldOut) {
        const known = bundle.campaignIds.flatMap((campaignId): Attempt[] => {
          const outcome = deps.soldOut?.check(campaignId, req.userId);
          if (
            outcome?.kind === 'sold_out' ||
            outcome?.kind === 'limit_reached' ||
            outcome?.kind === 'not_active'
          )
            return [{ campaignId, claimId: '', result: outcome as ReserveResult }];
          return [];
        });
        if (known.length > 0) return refusalOf(known);
      }
      if (deps.redis.mode === 'standalone') return inOneStep(bundle, req, bundleClaimId);
      const attempts = await reserveAll(bundle, req.userId, bundleClaimId);
      for (const a of attempts) if (a.result.kind === 'sold_out') deps.soldOut?.noteSoldOut(a.campaignId);
      const reserved = attempts.flatMap((a) => (a.result.kind === 'reserved' ? [a.result.claim] : []));
      const record = (d: Decision) =>
        decide(deps.redis, deps.keyPrefix, bundleClaimId, d, decisionTtl).catch(() => null);
      if (reserved.length < attempts.length) {
        // Refused somewhere: nothing of the press is kept. Only this instance could ever decide "commit",
        // so the reservations may go back even when the record of "abort" could not be written.
        await record({ state: 'abort' });
        await abortAll(attempts);
        return refusalOf(attempts);
      }
      const decided = await record({ state: 'commit', claims: reserved });
      if (decided === null) return REBUILDING; // unknown whether it was recorded: the deadline settles it
      if (decided.state === 'abort') {
        // The press outlived its deadline and the reconciler gave it up first.
        await abortAll(attempts);
        return REBUILDING;
      }
      if (!(await commitAll(reserved))) return REBUILDING; // decided: the reconciler finishes it
      await acknowledgeAll(reserved);
      return { kind: 'claimed', claims: reserved };
    },
  };
}

export type BundleService = ReturnType<typeof createBundleService>;
