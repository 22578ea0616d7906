import { Hono } from 'hono';
import { createCampaignBody } from '../../campaign/campaign.schema.ts';
import type { CampaignService } from '../../campaign/campaign.service.ts';
import type { AppEnv } from '../env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { campaignIdParam, readJson } from '../validate.ts';

export function adminRoutes(deps: { campaigns: CampaignService; adminToken: string }) {
  const app = new Hono<AppEnv>();
  app.use('*', adminAuth(deps.adminToken));

  app.post('/campaigns', async (c) => {
    const campaign = await deps.campaigns.create(await readJson(c, createCampaignBody));
    c.header('ETag', `"${campaign.version}"`);
    return c.json(campaign, 201);
  });

  app.get('/campaigns', async (c) => c.json({ campaigns: await deps.campaigns.list() }));

  app.get('/campaigns/:id', async (c) => {
    const campaign = await deps.campaigns.get(campaignIdParam(c));
    c.header('ETag', `"${campaign.version}"`);
    return c.json(campaign);
  });

  app.get('/campaigns/:id/stats', async (c) => c.json(await deps.campaigns.stats(campaignIdParam(c))));

  return app;
}
