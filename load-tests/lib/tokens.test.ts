import { describe, expect, it } from 'vitest';
import { verifyJwt } from '../../src/auth/jwt.ts';
import { tokenSupply } from './tokens.ts';

const subOf = (token: string) => {
  const r = verifyJwt(token, 'secret');
  if (!r.ok) throw new Error(r.reason);
  return r.sub;
};

describe('tokenSupply', () => {
  it('hands out distinct, valid tokens without end', () => {
    const supply = tokenSupply('secret', 'u', 10);
    const subs = Array.from({ length: 95 }, () => subOf(supply.next()));
    expect(new Set(subs).size).toBe(95);
    expect(subs.slice(0, 3)).toEqual(['u-0', 'u-1', 'u-2']);
    expect(supply.used).toBe(95);
  });

  it('signs what is reserved up front, and the next chunk between calls rather than inside one', async () => {
    const supply = tokenSupply('secret', 'u', 10);
    supply.reserve(25);
    expect(supply.minted).toBe(25);
    for (let i = 0; i < 16; i++) supply.next();
    // 9 left: the refill is queued, not done inside next().
    expect(supply.minted).toBe(25);
    await new Promise((r) => setImmediate(r));
    expect(supply.minted).toBe(35);
  });
});
