import { describe, expect, it } from 'vitest';
import { createCampaignBody } from './campaign.schema.ts';
import { campaignState, parseLiveCampaign } from './campaign.ts';

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

describe('parseLiveCampaign', () => {
  it('is null for a campaign Redis does not hold', () => {
    expect(parseLiveCampaign('x', Array(10).fill(null))).toBeNull();
  });
});

describe('createCampaignBody', () => {
  const valid = {
    name: 'n',
    totalStock: 10,
    startsAt: '2030-01-01T00:00:00Z',
    endsAt: '2030-01-02T00:00:00Z',
  };
  it('accepts a minimal body and defaults perUserLimit to 1', () => {
    expect(createCampaignBody.parse(valid).perUserLimit).toBe(1);
  });
  it('refuses unknown fields, wrong types, bad ids and a reversed window', () => {
    for (const bad of [
      { ...valid, extra: 1 },
      { ...valid, totalStock: '10' },
      { ...valid, totalStock: 1.5 },
      { ...valid, totalStock: -1 },
      { ...valid, id: 'Upper' },
      { ...valid, id: '-lead' },
      { ...valid, startsAt: 'yesterday' },
      { ...valid, endsAt: valid.startsAt },
    ]) {
      expect(createCampaignBody.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
