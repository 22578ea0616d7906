import type { Context } from 'hono';
import type { BundleAdmin } from '../bundle/bundle.admin.ts';
import type { BundleService } from '../bundle/bundle.service.ts';
import type { CampaignAdmin } from '../campaign/campaign.admin.ts';
import type { CampaignReader } from '../campaign/campaign.read.ts';
import type { CampaignStock } from '../campaign/campaign.stock.ts';
import type { ClaimService } from '../claim/claim.service.ts';
import type { CouponService } from '../coupon/coupon.service.ts';
import { CAMPAIGN_ID } from '../domain/campaign.ts';
import { type OutcomeTally, outcomeOf } from '../ops/outcomes.ts';
import type { OverviewReader } from '../ops/overview.ts';
import type { Reconciler } from '../reconcile/reconciler.ts';
import { type BaseDeps, createBaseApp } from './base.ts';
import { clientAddress } from './client-address.ts';
import type { AppEnv } from './env.ts';
import { type AuthFailureLimiter, authFailureLimit } from './middleware/auth-failures.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { apiDocument, registerApiDocs } from './openapi/document.ts';
import { adminRoutes } from './routes/admin.routes.ts';
import { bundleAdminRoutes, bundlesRoutes } from './routes/bundles.routes.ts';
import { campaignsRoutes } from './routes/campaigns.routes.ts';
import { claimsRoutes } from './routes/claims.routes.ts';
import { couponsRoutes } from './routes/coupons.routes.ts';
import { peopleRoutes } from './routes/people.routes.ts';

export interface AppDeps extends BaseDeps {
  claims: ClaimService;
  campaigns: CampaignReader;
  admin: CampaignAdmin;
  stock: CampaignStock;
  reconciler: Reconciler;
  adminToken: string;
  serviceToken: string;
  jwtSecret: string;
  coupons: CouponService;
  bundles: BundleService;
  bundleAdmin: BundleAdmin;
  outcomes: OutcomeTally;
  overview: OverviewReader;
  ratePerSecond: number;
  /** Proxies in front of the service whose X-Forwarded-For to trust (0: the socket's address). */
  trustProxyHops: number;
  authFailures?: AuthFailureLimiter;
}

const MAX_BODY_BYTES = 16 * 1024;

/** Counts a claim's answer by outcome for the dashboard (malformed or unknown campaigns not at all). */
function countOutcome(tally: OutcomeTally, campaignId: string, status: number): void {
  const outcome = outcomeOf(status);
  if (outcome && CAMPAIGN_ID.test(campaignId)) tally.count(campaignId, outcome);
}

export function createApp(deps: AppDeps) {
  // The base app is an OpenAPIHono: it routes exactly like Hono, with the registry the document comes from.
  // The dashboard's outcome mix is counted where the claim metrics are: one step per request.
  const app = createBaseApp({ ...deps, onClaim: (id, status) => countOutcome(deps.outcomes, id, status) });
  registerApiDocs(app);
  const addressOf = (c: Context<AppEnv>) => clientAddress(c, deps.trustProxyHops);
  app.use('/v1/*', authFailureLimit(deps.authFailures, addressOf));
  app.use('/v1/*', bodyLimit(MAX_BODY_BYTES));
  app.route('/', peopleRoutes(apiDocument(app)));
  // Minimal JSON route with no dependencies: the reference the benchmark measures the claim path against.
  app.get('/v1/ping', (c) => c.json({ ok: true }));
  app.route('/v1', campaignsRoutes(deps));
  app.route(
    '/v1',
    claimsRoutes({
      claims: deps.claims,
      coupons: deps.coupons,
      adminToken: deps.adminToken,
      jwtSecret: deps.jwtSecret,
      ratePerSecond: deps.ratePerSecond,
      addressOf,
    }),
  );
  app.route(
    '/v1',
    couponsRoutes({
      coupons: deps.coupons,
      serviceTokens: [deps.serviceToken, deps.adminToken],
      jwtSecret: deps.jwtSecret,
    }),
  );
  app.route(
    '/v1',
    bundlesRoutes({ bundles: deps.bundles, jwtSecret: deps.jwtSecret, ratePerSecond: deps.ratePerSecond }),
  );
  app.route('/v1/admin', bundleAdminRoutes(deps));
  app.route('/v1/admin', adminRoutes(deps));
  return app;
}

export type App = ReturnType<typeof createApp>;
