import { bundleDecisionKey } from '../redis/keys.ts';
import { scripts } from '../redis/scripts/index.ts';
import { decide } from './decision.ts';
import { type Attempt, type BundleOutcome, refusalOf } from './outcome.ts';
import { acknowledgeAll, freshParts, noteRefusals, type Press, type PressDeps } from './press.ts';

/**
 * Every campaign on one server (standalone Redis): the whole pack is checked and sold by one script
 * (lua/claim_pack.lua), its decision record written in the same step, so no reservation is ever left
 * behind and a refusal changed nothing. A timeout answers 503 (outcome unknown): the Idempotency-Key's
 * replay reads the decision record.
 */
export async function pressInOneStep(deps: PressDeps, press: Press): Promise<BundleOutcome> {
  const decisionKey = bundleDecisionKey(deps.keyPrefix, press.bundleClaimId);
  const parts = freshParts(deps, press.bundle);
  const result = await deps.redis.run(decisionKey, (r, runId) =>
    scripts.claimPack(r, {
      decisionKey,
      userId: press.userId,
      runId,
      bundleClaimId: press.bundleClaimId,
      decisionTtlSeconds: deps.decisionTtlSeconds,
      requestId: press.requestId,
      parts,
    }),
  );
  if (result.kind === 'claimed') {
    await acknowledgeAll(deps, result.claims);
    return { kind: 'claimed', claims: result.claims };
  }
  const attempts = result.results.map(
    (r, i): Attempt => ({ campaignId: press.bundle.campaignIds[i]!, claimId: parts[i]!.claimId, result: r }),
  );
  await noteRefusals(deps, attempts);
  // An Idempotency-Key's replay must learn that this press was refused (and may press afresh).
  if (press.idempotencyKey) {
    await decide(
      deps.redis,
      deps.keyPrefix,
      press.bundleClaimId,
      { state: 'abort' },
      deps.decisionTtlSeconds,
    ).catch(() => null);
  }
  return refusalOf(attempts);
}
