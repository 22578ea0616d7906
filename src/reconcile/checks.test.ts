import { describe, expect, it } from 'vitest';
import { countClaimIds } from '../redis/records/claim-ids.ts';
import { checkCounters, violationsPerUser } from './checks.ts';

describe('checkCounters', () => {
  it('is silent when counters agree', () => {
    expect(checkCounters({ totalStock: 10, remaining: 4, claimed: 6, claimRecords: 6 })).toEqual([]);
  });

  it('reports I2 when counters disagree with each other or with the records', () => {
    expect(
      checkCounters({ totalStock: 10, remaining: 5, claimed: 6, claimRecords: 6 }).map((v) => v.invariant),
    ).toEqual(['I2']);
    expect(
      checkCounters({ totalStock: 10, remaining: 4, claimed: 6, claimRecords: 7 }).map((v) => v.invariant),
    ).toEqual(['I2']);
  });

  it('reports I1 when more claims exist than stock', () => {
    const violations = checkCounters({ totalStock: 5, remaining: 0, claimed: 5, claimRecords: 6 });
    expect(violations.map((v) => v.invariant)).toEqual(['I1', 'I2']);
    expect(violations[0]!.message).toBe('oversold: 6 claims for 5 coupons');
  });
});

describe('per-user checks', () => {
  it('counts ids per user and reports those over the limit', () => {
    const counts = new Map(
      Object.entries({ a: 'x', b: 'x,y', c: 'x,y,z' }).map(([u, ids]) => [u, countClaimIds(ids)]),
    );
    expect([...counts]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(violationsPerUser('redis', counts, 3)).toEqual([]);
    const [v] = violationsPerUser('postgres', counts, 1);
    expect(v).toMatchObject({ invariant: 'I5', values: { limit: 1, users: { b: 2, c: 3 } } });
  });
});
