import { describe, expect, it } from 'vitest';
import { campaignState, effectiveChanges } from './campaign.ts';

const base = { startsAt: 1_000, endsAt: 2_000, paused: false, remaining: 5 };

describe('campaignState', () => {
  it('follows the claim script: window, then pause, then stock', () => {
    expect(campaignState(base, 999)).toBe('scheduled');
    expect(campaignState(base, 1_000)).toBe('active');
    expect(campaignState(base, 2_000)).toBe('ended');
    expect(campaignState({ ...base, paused: true }, 1_500)).toBe('paused');
    expect(campaignState({ ...base, paused: true }, 500)).toBe('scheduled');
    expect(campaignState({ ...base, remaining: 0 }, 1_500)).toBe('sold_out');
    expect(campaignState({ ...base, remaining: 0 }, 2_500)).toBe('ended');
  });
});

describe('effectiveChanges', () => {
  it('keeps only the fields that change something', () => {
    const at = new Date('2030-01-01T00:00:00Z');
    const current = {
      id: 'c',
      name: 'n',
      totalStock: 1,
      perUserLimit: 1,
      startsAt: at,
      endsAt: new Date('2030-01-02T00:00:00Z'),
      paused: false,
      version: 1,
      buckets: 1,
      couponTtlSeconds: null,
      returnExpired: false,
      createdAt: at,
      updatedAt: at,
    };
    expect(effectiveChanges(current, { name: 'n', startsAt: new Date(+at), paused: true })).toEqual({
      paused: true,
    });
    expect(effectiveChanges(current, { name: undefined })).toEqual({});
  });
});
