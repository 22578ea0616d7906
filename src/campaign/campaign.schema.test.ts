import { describe, expect, it } from 'vitest';
import { createCampaignBody } from './campaign.schema.ts';

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
