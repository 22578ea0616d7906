import { describe, expect, it } from 'vitest';
import { ClaimCode, outcomeFromScript } from './claim.ts';
import { couponCode, uuidv7 } from './ids.ts';

const record = JSON.stringify({
  id: '01890a5d-ac96-774b-bcce-b302099a8057',
  campaignId: 'c1',
  userId: 'u1',
  couponCode: 'ABCD-EFGH-JKMN-PQRS',
  claimedAt: 1_700_000_000_000,
  ordinal: 1,
});

describe('outcomeFromScript', () => {
  const { ordinal: _, ...draft } = JSON.parse(record);

  it('maps every return code of claim.lua', () => {
    // A new claim: the script returns the ordinal, the caller made the rest.
    expect(outcomeFromScript([ClaimCode.Claimed, 1], draft)).toEqual({
      kind: 'claimed',
      claim: JSON.parse(record),
    });
    // A replay: the script returns the stored record.
    expect(outcomeFromScript([ClaimCode.Replayed, record], draft)).toEqual({
      kind: 'replayed',
      claim: JSON.parse(record),
    });
    expect(outcomeFromScript([ClaimCode.NotFound], draft)).toEqual({ kind: 'not_found' });
    expect(outcomeFromScript([ClaimCode.NotStarted], draft)).toEqual({
      kind: 'not_active',
      reason: 'not_started',
    });
    expect(outcomeFromScript([ClaimCode.Ended], draft)).toEqual({ kind: 'not_active', reason: 'ended' });
    expect(outcomeFromScript([ClaimCode.Paused], draft)).toEqual({ kind: 'not_active', reason: 'paused' });
    expect(outcomeFromScript([ClaimCode.LimitReached, 'a,b'], draft)).toEqual({
      kind: 'limit_reached',
      claimIds: ['a', 'b'],
    });
    expect(outcomeFromScript([ClaimCode.SoldOut], draft)).toEqual({ kind: 'sold_out' });
    expect(outcomeFromScript([ClaimCode.Rebuilding], draft)).toEqual({ kind: 'rebuilding' });
  });

  it('is loud about an unknown code or a broken record', () => {
    expect(() => outcomeFromScript([99], draft)).toThrow(/unknown code 99/);
    expect(() => outcomeFromScript([ClaimCode.Replayed, '{"id":"x"}'], draft)).toThrow(
      /malformed claim record/,
    );
  });
});

describe('ids', () => {
  it('makes time-ordered UUIDv7 claim ids', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
  });

  it('makes unambiguous, distinct coupon codes', () => {
    const codes = new Set(Array.from({ length: 20_000 }, () => couponCode()));
    expect(codes.size).toBe(20_000);
    for (const code of [...codes].slice(0, 100))
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  });
});
