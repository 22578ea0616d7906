import { type Context, Hono } from 'hono';
import type { ClaimService } from '../../claim/claim.service.ts';
import type { CouponService } from '../../coupon/coupon.service.ts';
import type { ClaimOutcome } from '../../domain/claim.ts';
import { couponStatus } from '../../domain/coupon.ts';
import type { ErrorDetails } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { errorBody, errorResponse } from '../errors.ts';
import { hasBody } from '../middleware/body-limit.ts';
import { callerAuth } from '../middleware/caller-auth.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { userAuth } from '../middleware/user-auth.ts';
import { campaignIdParam, claimIdParam, emptyBody, idempotencyKeyHeader, readJson } from '../validate.ts';
import { claimOfCoupon, claimView } from '../views.ts';

const RETRY = { 'Retry-After': '1' };
const SOLD_OUT: ErrorDetails = {
  code: 'sold_out',
  message: 'every coupon of this campaign has been claimed',
};
const SOLD_OUT_BODY = JSON.stringify(errorBody(SOLD_OUT.code, SOLD_OUT.message));
const JSON_TYPE = { 'Content-Type': 'application/json' };
const REBUILDING: ErrorDetails = {
  code: 'unavailable',
  message: 'this campaign is being restored, retry shortly',
  headers: RETRY,
};

/**
 * Expected outcomes are values, answered without building an Error (a stack trace per sold-out request
 * would be the most expensive part of it): this maps each refusal to its stable error code.
 */
function refusal(
  outcome: Exclude<ClaimOutcome, { kind: 'claimed' | 'replayed' }>,
  campaignId: string,
): ErrorDetails {
  switch (outcome.kind) {
    case 'sold_out':
      return SOLD_OUT;
    case 'limit_reached':
      return {
        code: 'already_claimed',
        message: 'you already hold the most coupons this campaign allows',
        extra: { claimIds: outcome.claimIds },
      };
    case 'not_active':
      return {
        code: 'campaign_not_active',
        message: `campaign is not active (${outcome.reason})`,
        extra: { reason: outcome.reason },
      };
    case 'not_found':
      return { code: 'campaign_not_found', message: `campaign ${campaignId} does not exist` };
    case 'rebuilding':
      return REBUILDING;
    case 'rate_limited':
      return {
        code: 'rate_limited',
        message: 'too many attempts, slow down',
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))) },
      };
  }
}

export function claimsRoutes(deps: {
  claims: ClaimService;
  coupons: CouponService;
  adminToken: string;
  jwtSecret: string;
  ratePerSecond: number;
  addressOf: (c: Context<AppEnv>) => string | undefined;
}) {
  const app = new Hono<AppEnv>();
  const auth = userAuth(deps.jwtSecret);
  const releaseAuth = callerAuth({ serviceTokens: [deps.adminToken], jwtSecret: deps.jwtSecret });

  app.post('/campaigns/:id/claims', auth, rateLimit(deps.ratePerSecond), async (c) => {
    const campaignId = campaignIdParam(c);
    const idempotencyKey = idempotencyKeyHeader(c);
    // Claims usually come without a body: skip even the promise of reading one.
    if (hasBody(c)) await readJson(c, emptyBody, { allowEmpty: true });
    const outcome = await deps.claims.claim({
      campaignId,
      userId: c.get('userId'),
      idempotencyKey,
      clientAddress: deps.addressOf(c),
      requestId: c.get('requestId'),
    });
    if (outcome.kind === 'claimed') return c.json({ claim: claimView(outcome.claim, 'pending') }, 201);
    // A replay answers with the body of the original 201, whatever has happened since.
    if (outcome.kind === 'replayed') return c.json({ claim: claimView(outcome.claim, 'pending') }, 200);
    // Most of a sale's traffic gets this one answer: send it pre-serialised.
    if (outcome.kind === 'sold_out') return c.body(SOLD_OUT_BODY, 410, JSON_TYPE);
    return errorResponse(c, refusal(outcome, campaignId));
  });

  app.get('/campaigns/:id/claims/me', auth, async (c) => {
    const campaignId = campaignIdParam(c);
    const claims = await deps.claims.listMine(campaignId, c.get('userId'));
    if (claims === null) return errorResponse(c, refusal({ kind: 'not_found' }, campaignId));
    if (claims === 'rebuilding') return errorResponse(c, REBUILDING);
    const now = Date.now();
    const views = [
      ...claims.stored.map((s) => claimOfCoupon(s, couponStatus(s.state, s.expiresAt, now))),
      ...claims.pending.map((p) => claimView(p, 'pending')),
    ].sort((a, b) => a.claimedAt.localeCompare(b.claimedAt));
    return c.json({ claims: views });
  });

  // The owner (or an admin) gives a coupon back; Postgres decides, the unit returns to stock once.
  app.post('/campaigns/:id/claims/:claimId/release', releaseAuth, async (c) => {
    const campaignId = campaignIdParam(c);
    const claimId = claimIdParam(c);
    if (hasBody(c)) await readJson(c, emptyBody, { allowEmpty: true });
    const released = await deps.coupons.release(campaignId, claimId, c.get('caller'));
    return c.json({ claim: claimOfCoupon(released.coupon, released.status) });
  });

  return app;
}
