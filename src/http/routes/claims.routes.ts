import { Hono } from 'hono';
import type { ClaimService } from '../../claim/claim.service.ts';
import type { ClaimOutcome } from '../../claim/claim.ts';
import { claimView } from '../../claim/claim.ts';
import { AppError, UnavailableError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { userAuth } from '../middleware/user-auth.ts';
import { campaignIdParam, emptyBody, idempotencyKeyHeader, readJson } from '../validate.ts';

/** Expected outcomes are values; this maps the refusals to their stable error codes. */
function refusal(
  outcome: Exclude<ClaimOutcome, { kind: 'claimed' | 'replayed' }>,
  campaignId: string,
): AppError {
  switch (outcome.kind) {
    case 'not_found':
      return new AppError('campaign_not_found', `campaign ${campaignId} does not exist`);
    case 'not_active':
      return new AppError('campaign_not_active', `campaign is not active (${outcome.reason})`, {
        reason: outcome.reason,
      });
    case 'limit_reached':
      return new AppError('already_claimed', 'you already hold the most coupons this campaign allows', {
        claimIds: outcome.claimIds,
      });
    case 'sold_out':
      return new AppError('sold_out', 'every coupon of this campaign has been claimed');
    case 'rebuilding':
      return new UnavailableError('redis');
  }
}

export function claimsRoutes(deps: { claims: ClaimService; jwtSecret: string; ratePerSecond: number }) {
  const app = new Hono<AppEnv>();
  const auth = userAuth(deps.jwtSecret);

  app.post('/campaigns/:id/claims', auth, rateLimit(deps.ratePerSecond), async (c) => {
    const campaignId = campaignIdParam(c);
    const idempotencyKey = idempotencyKeyHeader(c);
    await readJson(c, emptyBody, { allowEmpty: true });
    const outcome = await deps.claims.claim({ campaignId, userId: c.get('userId'), idempotencyKey });
    if (outcome.kind === 'claimed') return c.json({ claim: claimView(outcome.claim, 'pending') }, 201);
    // A replay answers with the body of the original 201, whatever has happened since.
    if (outcome.kind === 'replayed') return c.json({ claim: claimView(outcome.claim, 'pending') }, 200);
    throw refusal(outcome, campaignId);
  });

  app.get('/campaigns/:id/claims/me', auth, async (c) => {
    const campaignId = campaignIdParam(c);
    const claims = await deps.claims.listMine(campaignId, c.get('userId'));
    if (claims === null) throw refusal({ kind: 'not_found' }, campaignId);
    if (claims === 'rebuilding') throw refusal({ kind: 'rebuilding' }, campaignId);
    return c.json({ claims });
  });

  return app;
}
