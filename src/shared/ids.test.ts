import { describe, expect, it } from 'vitest';
import { couponCode, uuidv7 } from './ids.ts';

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
