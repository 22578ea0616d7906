import { Hono } from 'hono';
import type { BundleAdmin } from '../../bundle/bundle.admin.ts';
import { createBundleBody } from '../../bundle/bundle.schema.ts';
import type { BundleOutcome, BundleService } from '../../bundle/bundle.service.ts';
import type { ErrorDetails } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { errorResponse } from '../errors.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { hasBody } from '../middleware/body-limit.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { userAuth } from '../middleware/user-auth.ts';
import { bundleIdParam, emptyBody, idempotencyKeyHeader, readJson } from '../validate.ts';
import { bundleView, claimView } from '../views.ts';

function refusal(outcome: Exclude<BundleOutcome, { kind: 'claimed' | 'replayed' }>): ErrorDetails {
  switch (outcome.kind) {
    case 'sold_out':
      return {
        code: 'sold_out',
        message: 'a campaign of this pack has no coupon left; nothing was claimed',
        extra: { campaignIds: outcome.campaignIds },
      };
    case 'limit_reached':
      return {
        code: 'already_claimed',
        message: 'you already hold the most coupons a campaign of this pack allows; nothing was claimed',
        extra: { campaignIds: outcome.campaignIds },
      };
    case 'not_active':
      return {
        code: 'campaign_not_active',
        message: `a campaign of this pack is not active (${outcome.reason}); nothing was claimed`,
        extra: { reason: outcome.reason, campaignIds: outcome.campaignIds },
      };
    case 'rebuilding':
      return {
        code: 'unavailable',
        message: 'the pack could not be decided right now; retry with the same Idempotency-Key',
        headers: { 'Retry-After': '1' },
      };
  }
}

/** Gift packs: a user presses one (all or nothing); admins define them. */
export function bundlesRoutes(deps: { bundles: BundleService; jwtSecret: string; ratePerSecond: number }) {
  const app = new Hono<AppEnv>();
  app.post('/bundles/:id/claims', userAuth(deps.jwtSecret), rateLimit(deps.ratePerSecond), async (c) => {
    const bundleId = bundleIdParam(c);
    if (hasBody(c)) await readJson(c, emptyBody, { allowEmpty: true });
    const outcome = await deps.bundles.claim({
      bundleId,
      userId: c.get('userId'),
      idempotencyKey: idempotencyKeyHeader(c),
      requestId: c.get('requestId'),
    });
    switch (outcome.kind) {
      case 'claimed':
      case 'replayed': {
        const claims = outcome.claims.map((claim) => claimView(claim, 'pending'));
        // The press' id: every claim of it carries it in Postgres (claims.bundle_claim_id).
        const bundleClaimId = outcome.claims[0]?.bundleClaimId;
        return c.json({ bundleId, bundleClaimId, claims }, outcome.kind === 'claimed' ? 201 : 200);
      }
      default:
        return errorResponse(c, refusal(outcome));
    }
  });
  return app;
}

export function bundleAdminRoutes(deps: { bundleAdmin: BundleAdmin; adminToken: string }) {
  const app = new Hono<AppEnv>();
  app.use('/bundles', adminAuth(deps.adminToken));
  app.use('/bundles/*', adminAuth(deps.adminToken));
  app.post('/bundles', async (c) =>
    c.json(bundleView(await deps.bundleAdmin.create(await readJson(c, createBundleBody))), 201),
  );
  app.get('/bundles/:id', async (c) => c.json(bundleView(await deps.bundleAdmin.get(bundleIdParam(c)))));
  return app;
}
