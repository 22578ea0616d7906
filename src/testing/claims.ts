import { createBucketDirectory } from '../claim/bucket-directory.ts';
import { createClaimService } from '../claim/claim.service.ts';
import type { Instance } from './harness.ts';

/**
 * Accepts claims through the real script but never enqueues them: the process "dies" between the Lua
 * script and the enqueue. Returns the accepted claim ids.
 */
export async function claimWithoutEnqueue(
  inst: Instance,
  campaignId: string,
  users: string[],
  opts: { requestId?: string } = {},
): Promise<string[]> {
  const { services } = inst;
  const crashing = createClaimService({
    redis: services.clients.router,
    keyPrefix: services.config.REDIS_PREFIX,
    idempotencyTtlSeconds: 60,
    acknowledger: { acknowledge: async () => {} },
    restoreIfKnown: async () => false,
    directory: createBucketDirectory({ emptyMs: 0 }),
    holdMs: 5_000,
    storedOfUser: services.repos.coupons.ofUser,
  });
  const outcomes = await Promise.all(
    users.map((userId) => crashing.claim({ campaignId, userId, requestId: opts.requestId })),
  );
  return outcomes.map((o) => {
    if (o.kind !== 'claimed') throw new Error(`expected a claim, got ${o.kind}`);
    return o.claim.id;
  });
}
