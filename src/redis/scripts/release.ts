import type { Cluster, Redis, Result } from 'ioredis';
import type { CampaignKeys } from '../keys.ts';
import { defineScript } from './source.ts';

export const releaseClaimDef = defineScript('fsReleaseClaim', 'release_claim.lua', 3);

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsReleaseClaim(
      meta: string,
      users: string,
      returned: string,
      claimId: string,
      userId: string,
      returnUnit: '0' | '1',
      removeEntry: '0' | '1',
      runId: string,
    ): Result<number[], Context>;
  }
}

export type ReleaseResult =
  | { kind: 'done'; returned: boolean; removed: boolean }
  | { kind: 'not_loaded' | 'held_off' };

/**
 * lua/release_claim.lua on one bucket: gives a released coupon's unit back (the bucket that sold it) and
 * removes the user's entry (their home bucket), each once.
 */
export async function releaseClaim(
  r: Redis | Cluster,
  keys: CampaignKeys,
  a: { claimId: string; userId: string; returnUnit: boolean; removeEntry: boolean; runId: string },
): Promise<ReleaseResult> {
  const [code, returned, removed] = await r.fsReleaseClaim(
    keys.meta,
    keys.users,
    keys.returned,
    a.claimId,
    a.userId,
    a.returnUnit ? '1' : '0',
    a.removeEntry ? '1' : '0',
    a.runId,
  );
  if (code === 1) return { kind: 'done', returned: returned === 1, removed: removed === 1 };
  if (code === -1) return { kind: 'not_loaded' };
  if (code === -7) return { kind: 'held_off' };
  throw new Error(`release_claim returned unknown code ${String(code)}`);
}
