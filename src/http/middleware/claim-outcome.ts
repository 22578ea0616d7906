import type { MiddlewareHandler } from 'hono';
import type { Metrics } from '../../metrics/metrics.ts';
import type { AppEnv } from '../env.ts';

/**
 * On the claim route each status is one outcome of the HTTP contract, so the answer names the outcome
 * whichever layer gave it (authentication, the in-process limiter, the script, a 503 from the gate).
 */
const OUTCOMES: Record<number, string> = {
  200: 'replayed',
  201: 'claimed',
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'campaign_not_active',
  404: 'campaign_not_found',
  409: 'already_claimed',
  410: 'sold_out',
  413: 'invalid_request',
  415: 'invalid_request',
  429: 'rate_limited',
  503: 'unavailable',
};

export const claimOutcomeOf = (status: number): string => OUTCOMES[status] ?? 'error';

/** Counts and times each claim by its outcome (flashsale_claims_total, flashsale_claim_duration_seconds). */
export function claimOutcome(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function claimOutcome(c, next) {
    const started = performance.now();
    await next();
    metrics.claim(claimOutcomeOf(c.res.status), (performance.now() - started) / 1000);
  };
}
