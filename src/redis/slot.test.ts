import { describe, expect, it } from 'vitest';
import { hashSlot, hashTagOf } from './slot.ts';

describe('hashSlot', () => {
  it('matches Redis Cluster (CLUSTER KEYSLOT) on known keys', () => {
    // Values from redis-cli CLUSTER KEYSLOT on Redis 7.0.
    expect(hashSlot('foo')).toBe(12182);
    expect(hashSlot('bar')).toBe(5061);
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('{user1000}.followers'));
    expect(hashSlot('123456789')).toBe(12739);
  });

  it('hashes only the first non-empty tag', () => {
    expect(hashTagOf('fs:{c:launch}:meta')).toBe('c:launch');
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTagOf('foo{{bar}}zap')).toBe('{bar');
    expect(hashTagOf('plain')).toBe('plain');
  });
});
