import type { Claim } from '../domain/claim.ts';
import { claimSchema } from '../domain/claim.ts';
import { bundleDecisionKey } from '../redis/keys.ts';
import type { RedisRouter } from '../redis/router.ts';

/** What was decided for one press of a gift pack: its claims (commit), or nothing (abort). */
export type Decision = { state: 'commit'; claims: Claim[] } | { state: 'abort' };

function parse(raw: string | null): Decision | null {
  if (raw === null) return null;
  const value = JSON.parse(raw) as { state?: unknown; claims?: unknown };
  if (value.state === 'abort') return { state: 'abort' };
  if (value.state === 'commit' && Array.isArray(value.claims))
    return { state: 'commit', claims: value.claims.map((c) => claimSchema.parse(c)) };
  throw new Error(`malformed bundle decision: ${raw.slice(0, 200)}`);
}

/**
 * Records the decision unless one exists (SET NX), and returns the one that holds: the first writer's.
 * The instance that reserved writes commit or abort; the reconciler writes abort for a press past its
 * deadline that nobody decided.
 */
export async function decide(
  redis: RedisRouter,
  prefix: string,
  bundleClaimId: string,
  decision: Decision,
  ttlSeconds: number,
): Promise<Decision> {
  const key = bundleDecisionKey(prefix, bundleClaimId);
  const set = await redis.run(key, (r) => r.set(key, JSON.stringify(decision), 'EX', ttlSeconds, 'NX'));
  if (set === 'OK') return decision;
  const holding = parse(await redis.run(key, (r) => r.get(key)));
  if (!holding) throw new Error(`bundle decision ${bundleClaimId} vanished`);
  return holding;
}

export async function readDecision(
  redis: RedisRouter,
  prefix: string,
  bundleClaimId: string,
): Promise<Decision | null> {
  const key = bundleDecisionKey(prefix, bundleClaimId);
  return parse(await redis.run(key, (r) => r.get(key)));
}
