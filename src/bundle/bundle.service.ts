import type { Bundle, BundlesRepo } from '../db/bundles.repo.ts';
import { bundleIdemKey } from '../redis/keys.ts';
import type { ReserveResult } from '../redis/scripts/bundle.ts';
import { uuidv7 } from '../shared/ids.ts';
import { bundleNotFound } from './bundle.admin.ts';
import { readDecision } from './decision.ts';
import { pressInOneStep } from './one-step.ts';
import { type Attempt, type BundleOutcome, REBUILDING, refusalOf } from './outcome.ts';
import { acknowledgeAll, type Press, type PressDeps } from './press.ts';
import { commitAll, pressInTwoPhases } from './two-phase.ts';

export type { BundleOutcome } from './outcome.ts';

export interface BundleServiceDeps extends Omit<PressDeps, 'decisionTtlSeconds'> {
  bundles: Pick<BundlesRepo, 'find'>;
  idempotencyTtlSeconds: number;
}

/**
 * Gift packs: one coupon from each of a pack's campaigns, all or nothing. On standalone Redis a press is
 * one script (one-step.ts); on a cluster, two phases and one decision (two-phase.ts). Here: the pack's
 * definition, the Idempotency-Key, and the sold-out shortcut.
 */
export function createBundleService(deps: BundleServiceDeps) {
  const press: PressDeps = { ...deps, decisionTtlSeconds: Math.max(deps.idempotencyTtlSeconds, 3_600) };
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

  /** An earlier press under the same Idempotency-Key: its answer, or null to press afresh. */
  const replay = async (bundleClaimId: string): Promise<BundleOutcome | null> => {
    const decision = await readDecision(deps.redis, deps.keyPrefix, bundleClaimId);
    if (decision === null) return REBUILDING; // still being decided: the replay will tell
    if (decision.state === 'abort') return null;
    // A two-phase press may have died between its decision and its commits: they are finished here.
    if (deps.redis.mode === 'cluster' && !(await commitAll(press, decision.claims))) return REBUILDING;
    await acknowledgeAll(press, decision.claims);
    return { kind: 'replayed', claims: decision.claims };
  };

  /** Binds an Idempotency-Key to this press; an earlier binding is returned instead. */
  const bindKey = async (key: string, bundleClaimId: string, fresh: boolean): Promise<string | null> => {
    const ttl = deps.idempotencyTtlSeconds;
    const set = await deps.redis.run(key, (r) =>
      fresh ? r.set(key, bundleClaimId, 'EX', ttl, 'NX') : r.set(key, bundleClaimId, 'EX', ttl),
    );
    if (set === 'OK') return null;
    return deps.redis.run(key, (r) => r.get(key));
  };

  /** The campaigns of the pack this instance knows are sold out (or the user's limit reached there). */
  const knownRefusals = (bundle: Bundle, userId: string): Attempt[] =>
    bundle.campaignIds.flatMap((campaignId): Attempt[] => {
      const outcome = deps.soldOut?.check(campaignId, userId);
      if (outcome?.kind === 'sold_out' || outcome?.kind === 'limit_reached' || outcome?.kind === 'not_active')
        return [{ campaignId, claimId: '', result: outcome as ReserveResult }];
      return [];
    });

  return {
    async claim(req: {
      bundleId: string;
      userId: string;
      idempotencyKey?: string | undefined;
      /** The HTTP request's id, carried into the claims' records (log lines downstream name it). */
      requestId?: string | undefined;
    }) {
      const bundle = await bundleOf(req.bundleId);
      const p: Press = {
        bundle,
        userId: req.userId,
        bundleClaimId: uuidv7(),
        idempotencyKey: req.idempotencyKey,
        requestId: req.requestId,
      };
      if (req.idempotencyKey) {
        const key = bundleIdemKey(deps.keyPrefix, bundle.id, req.userId, req.idempotencyKey);
        const earlier = await bindKey(key, p.bundleClaimId, true);
        if (earlier) {
          const answer = await replay(earlier);
          if (answer) return answer;
          // The earlier press was refused: this one is a new press under the same key.
          p.bundleClaimId = uuidv7();
          await bindKey(key, p.bundleClaimId, false);
        }
      } else {
        // Most presses after a campaign of the pack ran out are refused here, without a round trip.
        const refused = knownRefusals(bundle, req.userId);
        if (refused.length > 0) return refusalOf(refused);
      }
      return deps.redis.mode === 'standalone' ? pressInOneStep(press, p) : pressInTwoPhases(press, p);
    },
  };
}

export type BundleService = ReturnType<typeof createBundleService>;
