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

/** The route whose answers flashsale_claims_total counts. */
export const CLAIM_ROUTE = '/v1/campaigns/:id/claims';

export const claimOutcomeOf = (status: number): string => OUTCOMES[status] ?? 'error';

/** The gift-pack route: its answers are counted by flashsale_bundle_claims_total. */
export const BUNDLE_ROUTE = '/v1/bundles/:id/claims';

export const bundleOutcomeOf = (status: number): string =>
  status === 404 ? 'bundle_not_found' : (OUTCOMES[status] ?? 'error');
