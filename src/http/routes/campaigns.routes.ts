import { Hono } from 'hono';
import type { CampaignService } from '../../campaign/campaign.service.ts';
import type { AppEnv } from '../env.ts';
import { campaignIdParam } from '../validate.ts';

export function campaignsRoutes(deps: { campaigns: CampaignService }) {
  return new Hono<AppEnv>().get('/campaigns/:id', async (c) =>
    c.json(await deps.campaigns.publicView(campaignIdParam(c))),
  );
}
