import { describe, expect, it } from 'vitest';
import { decodeMeta } from './campaign-meta.ts';
import { countClaimIds, joinClaimIds, parseClaimIds } from './claim-ids.ts';
import { decodeClaimRecord, encodeClaimRecord } from './claim-record.ts';

describe('decodeMeta', () => {
  it('is null for a campaign Redis does not hold', () => {
    expect(decodeMeta('x', Array(12).fill(null))).toBeNull();
  });
});

describe('claim ids of a user', () => {
  it('round-trips and counts', () => {
    expect(parseClaimIds(null)).toEqual([]);
    expect(parseClaimIds(joinClaimIds(['a', 'b', 'c']))).toEqual(['a', 'b', 'c']);
    expect(countClaimIds('x')).toBe(1);
    expect(countClaimIds('x,y,z')).toBe(3);
  });
});

describe('claim records', () => {
  const claim = {
    id: '01890a5d-ac96-774b-bcce-b302099a8057',
    campaignId: 'c1',
    userId: 'u1',
    couponCode: 'ABCD-EFGH-JKMN-PQRS',
    claimedAt: 1_700_000_000_000,
    ordinal: 1,
    seq: 7,
  };
  it('round-trips, with and without an idempotency key', () => {
    expect(decodeClaimRecord(encodeClaimRecord(claim))).toEqual(claim);
    const keyed = { ...claim, idempotencyKey: 'k' };
    expect(decodeClaimRecord(encodeClaimRecord(keyed))).toEqual(keyed);
  });
  it('is loud about a broken record', () => {
    expect(() => decodeClaimRecord('{"id":"x"}')).toThrow(/malformed claim record/);
    expect(() => decodeClaimRecord(undefined)).toThrow(/no claim record/);
  });
});
