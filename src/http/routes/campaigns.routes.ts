import { Hono } from 'hono';
import type { CampaignReader } from '../../campaign/campaign.read.ts';
import type { AppEnv } from '../env.ts';
import { campaignIdParam } from '../validate.ts';
import { publicView } from '../views.ts';

export function campaignsRoutes(deps: { campaigns: CampaignReader }) {
  return new Hono<AppEnv>().get('/campaigns/:id', async (c) => {
    const { campaign, now } = await deps.campaigns.liveNow(campaignIdParam(c));
    return c.json(publicView(campaign, now));
  });
}
