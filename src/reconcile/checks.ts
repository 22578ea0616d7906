import type { Violation } from './report.ts';

/**
 * Pure checks of the invariants over numbers the reconciler gathered. Repairs are made elsewhere; these
 * say what is wrong, with the numbers.
 */
export interface CounterState {
  totalStock: number;
  remaining: number;
  claimed: number;
  claimRecords: number;
}

/** I1 (no oversell) and I2 (conservation) on Redis' counters. */
export function checkCounters(s: CounterState): Violation[] {
  const out: Violation[] = [];
  if (s.claimRecords > s.totalStock || s.claimed > s.totalStock || s.remaining < 0) {
    out.push({
      invariant: 'I1',
      message: `oversold: ${Math.max(s.claimed, s.claimRecords)} claims for ${s.totalStock} coupons`,
      values: { ...s },
      repaired: false,
    });
  }
  if (s.remaining + s.claimed !== s.totalStock || s.claimed !== s.claimRecords) {
    out.push({
      invariant: 'I2',
      message: `remaining ${s.remaining} + claimed ${s.claimed} != totalStock ${s.totalStock}, or claimed != ${s.claimRecords} claim records`,
      values: { ...s },
      repaired: false,
    });
  }
  return out;
}

/** I3 (Redis) or I5 (Postgres): users holding more claims than the limit, from user -> claim count. */
export function violationsPerUser(
  source: 'redis' | 'postgres',
  counts: Map<string, number>,
  limit: number,
): Violation[] {
  const over = [...counts].filter(([, n]) => n > limit);
  if (over.length === 0) return [];
  return [
    {
      invariant: source === 'redis' ? 'I3' : 'I5',
      message: `${over.length} users hold more than ${limit} claims in ${source}`,
      values: { limit, users: Object.fromEntries(over.slice(0, 20)) },
      repaired: false,
    },
  ];
}
