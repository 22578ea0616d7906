import { describe, expect, it } from 'vitest';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import { createLogger } from '../shared/logger.ts';
import { createCampaignRestorer } from './campaign.restore.ts';

function loader(found: boolean) {
  const calls = { find: 0, restore: 0 };
  let finishRestore!: () => void;
  const campaigns = {
    find: async () => {
      calls.find++;
      await new Promise((r) => setTimeout(r, 5));
      return found ? ({ id: 'c' } as never) : null;
    },
  } as unknown as CampaignsRepo;
  const l = createCampaignRestorer({
    campaigns,
    log: createLogger('silent'),
    restore: () => {
      calls.restore++;
      return new Promise<void>((resolve) => (finishRestore = resolve));
    },
  });
  return { l, calls, finish: () => finishRestore() };
}

describe('createCampaignRestorer', () => {
  it('a burst of requests for a lost campaign shares one lookup and one restore', async () => {
    const { l, calls, finish } = loader(true);
    const answers = await Promise.all(Array.from({ length: 200 }, () => l.restoreIfKnown('c')));
    expect(answers.every(Boolean)).toBe(true);
    expect(calls).toEqual({ find: 1, restore: 1 });
    // While it is being restored, callers get their answer without another lookup.
    expect(await l.restoreIfKnown('c')).toBe(true);
    expect(calls.find).toBe(1);
    finish();
    await l.settle();
  });

  it('an unknown campaign is looked up once per burst and remembered briefly', async () => {
    const { l, calls } = loader(false);
    const answers = await Promise.all(Array.from({ length: 50 }, () => l.restoreIfKnown('nope')));
    expect(answers.some(Boolean)).toBe(false);
    expect(await l.restoreIfKnown('nope')).toBe(false);
    expect(calls).toEqual({ find: 1, restore: 0 });
  });
});
