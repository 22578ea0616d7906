import { type Context, Hono } from 'hono';
import type { CampaignAdmin } from '../../campaign/campaign.admin.ts';
import type { CampaignReader } from '../../campaign/campaign.read.ts';
import { createCampaignBody, patchCampaignBody, stockBody } from '../../campaign/campaign.schema.ts';
import type { CampaignStock } from '../../campaign/campaign.stock.ts';
import type { Campaign } from '../../domain/campaign.ts';
import type { OverviewReader } from '../../ops/overview.ts';
import type { Reconciler } from '../../reconcile/reconciler.ts';
import { AppError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { header } from '../headers.ts';
import { type Precondition, parseIfMatch } from '../if-match.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { campaignIdParam, idempotencyKeyHeader, readJson } from '../validate.ts';
import { adminView, changeView, stockChangeView } from '../views.ts';
import { reconcileRoutes } from './reconcile.routes.ts';

const ACTOR = /^[\x20-\x7e]{1,100}$/;

/** The operator behind a change: the X-Actor header (e.g. an operator's name), "admin" without one. */
function actorOf(c: Context<AppEnv>) {
  const actor = header(c, 'x-actor')?.trim() || 'admin';
  if (!ACTOR.test(actor))
    throw new AppError('invalid_request', 'X-Actor must be 1 to 100 printable characters');
  return { actor, requestId: c.get('requestId') };
}

/** If-Match is required for PATCH, so a stale edit cannot overwrite a newer one. */
function precondition(c: Context<AppEnv>): Precondition {
  const ifMatch = header(c, 'if-match');
  if (ifMatch === undefined) {
    throw new AppError('precondition_required', 'send If-Match with the ETag (version) you last read');
  }
  return parseIfMatch(ifMatch);
}

function withEtag(c: Context<AppEnv>, campaign: Campaign, status: 200 | 201 = 200) {
  c.header('ETag', `"${campaign.version}"`);
  return c.json(adminView(campaign), status);
}

export function adminRoutes(deps: {
  campaigns: CampaignReader;
  admin: CampaignAdmin;
  stock: CampaignStock;
  reconciler: Reconciler;
  overview: OverviewReader;
  adminToken: string;
}) {
  const app = new Hono<AppEnv>();
  app.use('*', adminAuth(deps.adminToken));

  app.post('/campaigns', async (c) =>
    withEtag(c, await deps.admin.create(await readJson(c, createCampaignBody), actorOf(c)), 201),
  );

  app.get('/campaigns', async (c) => c.json({ campaigns: (await deps.campaigns.list()).map(adminView) }));

  app.get('/campaigns/:id', async (c) => withEtag(c, await deps.campaigns.get(campaignIdParam(c))));

  app.patch('/campaigns/:id', async (c) => {
    const id = campaignIdParam(c);
    const matches = precondition(c);
    const body = await readJson(c, patchCampaignBody);
    return withEtag(c, await deps.admin.patch(id, matches, body, actorOf(c)));
  });

  app.post('/campaigns/:id/pause', async (c) =>
    withEtag(c, await deps.admin.setPaused(campaignIdParam(c), true, actorOf(c))),
  );
  app.post('/campaigns/:id/resume', async (c) =>
    withEtag(c, await deps.admin.setPaused(campaignIdParam(c), false, actorOf(c))),
  );

  app.post('/campaigns/:id/stock', async (c) => {
    const id = campaignIdParam(c);
    const key = idempotencyKeyHeader(c);
    const { delta } = await readJson(c, stockBody);
    const result = await deps.stock.adjust(id, delta, actorOf(c), key);
    c.header('ETag', `"${result.campaign.version}"`);
    return c.json(stockChangeView(result));
  });

  app.get('/campaigns/:id/changes', async (c) =>
    c.json({ changes: (await deps.admin.changes(campaignIdParam(c))).map(changeView) }),
  );

  app.route('/', reconcileRoutes(deps));

  app.get('/campaigns/:id/stats', async (c) => c.json(await deps.campaigns.stats(campaignIdParam(c))));

  // What /dashboard polls: every recent campaign in one answer.
  app.get('/dashboard', async (c) => c.json(await deps.overview()));

  return app;
}
