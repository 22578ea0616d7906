import type { Claim } from '../domain/claim.ts';
import { scripts } from '../redis/scripts/index.ts';
import { type Decision, decide } from './decision.ts';
import { type Attempt, type BundleOutcome, REBUILDING, refusalOf } from './outcome.ts';
import { acknowledgeAll, freshParts, keysOf, noteRefusals, type Press, type PressDeps } from './press.ts';

/** Reserves in every campaign at once (lua/reserve_unit.lua on each campaign's slot). */
function reserveAll(deps: PressDeps, press: Press): Promise<Attempt[]> {
  return Promise.all(
    freshParts(deps, press.bundle).map(async ({ keys, claimId, couponCode }): Promise<Attempt> => {
      const reservation = {
        campaignId: keys.campaignId,
        userId: press.userId,
        claimId,
        couponCode,
        bundleClaimId: press.bundleClaimId,
        requestId: press.requestId,
      };
      const result = await deps.redis
        .run(keys.meta, (r, runId) =>
          scripts.reserveUnit(r, keys, reservation, { runId, holdMs: deps.holdMs }),
        )
        .catch(() => ({ kind: 'unknown' as const }));
      return { campaignId: keys.campaignId, claimId, result };
    }),
  );
}

/** Gives back every reservation that was (or may have been) made; the reconciler retries failures. */
async function abortAll(deps: PressDeps, attempts: Attempt[]): Promise<void> {
  await Promise.all(
    attempts
      .filter((a) => a.result.kind === 'reserved' || a.result.kind === 'unknown')
      .map(async (a) => {
        const keys = keysOf(deps, a.campaignId);
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
}

/** Applies "commit" everywhere (idempotent); false when a campaign could not confirm it. */
export async function commitAll(deps: PressDeps, claims: Claim[]): Promise<boolean> {
  const results = await Promise.all(
    claims.map(async (c) => {
      const keys = keysOf(deps, c.campaignId);
      return deps.redis
        .run(keys.meta, (r) => scripts.commitReservation(r, keys, { claimId: c.id, userId: c.userId }))
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
}

/**
 * On a cluster the campaigns live on other slots, which no one script can span. Two phases and one
 * decision: reserve in every campaign at once (the unit and the user's place taken, with a deadline),
 * record the decision once (SET NX of the press' decision key: commit when every campaign reserved, abort
 * otherwise), then apply it everywhere. Whoever sets the decision first wins: the reconciler settles a
 * reservation past its deadline by setting "abort" if nobody decided (the instance died, or stalled), or
 * by applying what was decided. So a reservation is committed only when the whole pack is, and never both
 * committed and aborted.
 */
export async function pressInTwoPhases(deps: PressDeps, press: Press): Promise<BundleOutcome> {
  const attempts = await reserveAll(deps, press);
  await noteRefusals(deps, attempts);
  const reserved = attempts.flatMap((a) => (a.result.kind === 'reserved' ? [a.result.claim] : []));
  const record = (d: Decision) =>
    decide(deps.redis, deps.keyPrefix, press.bundleClaimId, d, deps.decisionTtlSeconds).catch(() => null);
  if (reserved.length < attempts.length) {
    // Refused somewhere: nothing of the press is kept. Only this instance could ever decide "commit", so
    // the reservations may go back even when the record of "abort" could not be written.
    await record({ state: 'abort' });
    await abortAll(deps, attempts);
    return refusalOf(attempts);
  }
  const decided = await record({ state: 'commit', claims: reserved });
  if (decided === null) return REBUILDING; // unknown whether it was recorded: the deadline settles it
  if (decided.state === 'abort') {
    // The press outlived its deadline and the reconciler gave it up first.
    await abortAll(deps, attempts);
    return REBUILDING;
  }
  if (!(await commitAll(deps, reserved))) return REBUILDING; // decided: the reconciler finishes it
  await acknowledgeAll(deps, reserved);
  return { kind: 'claimed', claims: reserved };
}
