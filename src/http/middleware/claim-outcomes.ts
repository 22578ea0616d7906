import type { MiddlewareHandler } from 'hono';
import { CAMPAIGN_ID } from '../../domain/campaign.ts';
import { type OutcomeTally, outcomeOf } from '../../ops/outcomes.ts';
import type { AppEnv } from '../env.ts';

/** Counts each claim's answer by outcome (the dashboard's mix); one Map update, after the answer is made. */
export function claimOutcomes(tally: OutcomeTally): MiddlewareHandler<AppEnv> {
  return async function claimOutcomes(c, next) {
    await next();
    if (c.req.method !== 'POST') return;
    const outcome = outcomeOf(c.res.status);
    const id = c.req.param('id');
    if (outcome && id && CAMPAIGN_ID.test(id)) tally.count(id, outcome);
  };
}
