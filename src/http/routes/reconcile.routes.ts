import { Hono } from 'hono';
import { z } from 'zod';
import { CAMPAIGN_ID } from '../../domain/campaign.ts';
import type { Reconciler } from '../../reconcile/reconciler.ts';
import { AppError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { readJson } from '../validate.ts';

export const reconcileBody = z.strictObject({ campaignId: z.string().regex(CAMPAIGN_ID).optional() });

/** Admin doors of the reconciler: run it now (optionally one campaign), and read recent reports. */
export function reconcileRoutes(deps: { reconciler: Reconciler }) {
  const app = new Hono<AppEnv>();

  app.post('/reconcile', async (c) => {
    const { campaignId } = await readJson(c, reconcileBody, { allowEmpty: true });
    const requestId = c.get('requestId');
    return c.json(await deps.reconciler.run({ trigger: 'manual', campaignId, requestId }));
  });

  app.get('/reconciliations', async (c) => {
    const raw = c.req.query('limit') ?? '20';
    if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1)
      throw new AppError('invalid_request', 'limit must be 1 to 999');
    return c.json({ runs: await deps.reconciler.recentRuns(Number(raw)) });
  });

  return app;
}
