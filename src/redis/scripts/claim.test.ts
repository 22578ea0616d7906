import { describe, expect, it } from 'vitest';
import { decodeClaimReply } from './claim.ts';

const record = JSON.stringify({
  id: '01890a5d-ac96-774b-bcce-b302099a8057',
  campaignId: 'c1',
  userId: 'u1',
  couponCode: 'ABCD-EFGH-JKMN-PQRS',
  claimedAt: 1_700_000_000_000,
  ordinal: 1,
  seq: 1,
});

describe('decodeClaimReply', () => {
  it('maps every return code of claim.lua', () => {
    // A new claim: the script returns the ordinal, the caller made the rest.
    expect(decodeClaimReply([1, 1, 1_700_000_000_000, 42])).toEqual({
      kind: 'claimed',
      ordinal: 1,
      claimedAt: 1_700_000_000_000,
      seq: 42,
    });
    // A replay: the script returns the stored record and whether it is still pending.
    expect(decodeClaimReply([2, record, 1])).toEqual({
      kind: 'replayed',
      claim: JSON.parse(record),
      pending: true,
    });
    expect(decodeClaimReply([-1])).toEqual({ kind: 'not_found' });
    expect(decodeClaimReply([-2])).toEqual({ kind: 'not_active', reason: 'not_started' });
    expect(decodeClaimReply([-3])).toEqual({ kind: 'not_active', reason: 'ended' });
    expect(decodeClaimReply([-4])).toEqual({ kind: 'not_active', reason: 'paused' });
    expect(decodeClaimReply([-5, 'a,b'])).toEqual({ kind: 'limit_reached', claimIds: ['a', 'b'] });
    expect(decodeClaimReply([-6])).toEqual({ kind: 'sold_out' });
    expect(decodeClaimReply([-7])).toEqual({ kind: 'rebuilding' });
    expect(decodeClaimReply([-8, 'abc'])).toEqual({ kind: 'fenced', verifiedRun: 'abc' });
  });

  it('is loud about an unknown code or a broken record', () => {
    expect(() => decodeClaimReply([99])).toThrow(/unknown code 99/);
    expect(() => decodeClaimReply([2, '{"id":"x"}'])).toThrow(/malformed claim record/);
  });
});
