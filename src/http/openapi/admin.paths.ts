import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { createBundleBody } from '../../bundle/bundle.schema.ts';
import { createCampaignBody, patchCampaignBody, stockBody } from '../../campaign/campaign.schema.ts';
import { overviewSchema } from '../../ops/overview.schema.ts';
import { runReportSchema } from '../report.schema.ts';
import { reconcileBody } from '../routes/reconcile.routes.ts';
import { bundleIdSchema, campaignIdSchema, idempotencyKeySchema } from '../validate.ts';
import {
  adminCampaignSchema,
  bundleViewSchema,
  changeSchema,
  statsSchema,
  stockChangeSchema,
} from '../views.schema.ts';
import { AUTHENTICATED, asAdmin, etagHeader, jsonBody, ok, refusals, WITH_BODY } from './responses.ts';

/** The operators' routes (ADMIN_TOKEN). Writes record X-Actor (default "admin") in the audit log. */

const campaign = z.object({ id: campaignIdSchema });
const actor = z.object({
  'x-actor': z.string().optional().describe('who makes the change (1 to 100 printable characters)'),
});
const admin = { tags: ['admin'], security: asAdmin };
const answers = (status: 200 | 201, description: string) =>
  ok(status, description, adminCampaignSchema, etagHeader);

export const adminPaths = [
  createRoute({
    ...admin,
    method: 'post',
    path: '/v1/admin/bundles',
    summary: 'Define a gift pack',
    description: '2 to 100 distinct campaigns without stock buckets; fixed once created.',
    request: jsonBody(createBundleBody),
    responses: {
      ...ok(201, 'created', bundleViewSchema),
      ...refusals(...WITH_BODY, ...AUTHENTICATED, 'campaign_not_found', 'bundle_exists', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/bundles/{id}',
    summary: "A gift pack's definition",
    request: { params: z.object({ id: bundleIdSchema }) },
    responses: {
      ...ok(200, 'the definition', bundleViewSchema),
      ...refusals('invalid_request', ...AUTHENTICATED, 'bundle_not_found', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'post',
    path: '/v1/admin/campaigns',
    summary: 'Create a campaign',
    request: { headers: actor, ...jsonBody(createCampaignBody) },
    responses: {
      ...answers(201, 'created'),
      ...refusals(...WITH_BODY, ...AUTHENTICATED, 'campaign_exists', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/campaigns',
    summary: 'Every campaign',
    responses: {
      ...ok(200, 'definitions', z.strictObject({ campaigns: z.array(adminCampaignSchema) })),
      ...refusals(...AUTHENTICATED, 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/campaigns/{id}',
    summary: "A campaign's definition",
    request: { params: campaign },
    responses: {
      ...answers(200, 'the definition, with its version as ETag'),
      ...refusals('invalid_request', ...AUTHENTICATED, 'campaign_not_found', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'patch',
    path: '/v1/admin/campaigns/{id}',
    summary: 'Change name, window or paused',
    request: {
      params: campaign,
      headers: actor.extend({ 'if-match': z.string().describe('the ETag last read (required)') }),
      ...jsonBody(patchCampaignBody),
    },
    responses: {
      ...answers(200, 'changed'),
      ...refusals(
        ...WITH_BODY,
        ...AUTHENTICATED,
        'campaign_not_found',
        'precondition_failed',
        'precondition_required',
        'unavailable',
      ),
    },
  }),
  ...(['pause', 'resume'] as const).map((action) =>
    createRoute({
      ...admin,
      method: 'post',
      path: `/v1/admin/campaigns/{id}/${action}`,
      summary: action === 'pause' ? 'Pause claims' : 'Resume claims',
      request: { params: campaign, headers: actor },
      responses: {
        ...answers(200, action === 'pause' ? 'paused' : 'resumed'),
        ...refusals('invalid_request', ...AUTHENTICATED, 'campaign_not_found', 'unavailable'),
      },
    }),
  ),
  createRoute({
    ...admin,
    method: 'post',
    path: '/v1/admin/campaigns/{id}/stock',
    summary: 'Add or remove stock',
    description: 'Applied atomically in Redis and Postgres; the same Idempotency-Key replays the adjustment.',
    request: {
      params: campaign,
      headers: actor.extend({ 'idempotency-key': idempotencyKeySchema.optional() }),
      ...jsonBody(stockBody),
    },
    responses: {
      ...ok(200, 'applied', stockChangeSchema, etagHeader),
      ...refusals(...WITH_BODY, ...AUTHENTICATED, 'campaign_not_found', 'insufficient_stock', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/campaigns/{id}/changes',
    summary: "A campaign's audit log",
    request: { params: campaign },
    responses: {
      ...ok(200, 'newest first', z.strictObject({ changes: z.array(changeSchema) })),
      ...refusals('invalid_request', ...AUTHENTICATED, 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/campaigns/{id}/stats',
    summary: 'Live counters of a campaign',
    description: 'Remaining and claimed (Redis), persisted and coupon states (Postgres), the persist queue.',
    request: { params: campaign },
    responses: {
      ...ok(200, 'the counters', statsSchema),
      ...refusals('invalid_request', ...AUTHENTICATED, 'campaign_not_found', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'post',
    path: '/v1/admin/reconcile',
    summary: 'Run the reconciler now',
    request: jsonBody(reconcileBody, { optional: true, description: 'absent: every recent campaign' }),
    responses: {
      ...ok(200, "the pass' report", runReportSchema),
      ...refusals(...WITH_BODY, ...AUTHENTICATED, 'campaign_not_found', 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/reconciliations',
    summary: 'Recent reconciler reports',
    request: {
      query: z.object({
        limit: z
          .string()
          .regex(/^\d{1,3}$/)
          .optional()
          .describe('1 to 999; 20'),
      }),
    },
    responses: {
      ...ok(200, 'newest first', z.strictObject({ runs: z.array(runReportSchema) })),
      ...refusals('invalid_request', ...AUTHENTICATED, 'unavailable'),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/dashboard',
    summary: 'Every recent campaign at a glance (what /dashboard polls)',
    description:
      'Per campaign: the counters of /stats, the outcome mix of claims (counted by every instance, ' +
      'summed in Redis about once a second) and the persistence lag (age of the oldest claim not yet in ' +
      'Postgres). Campaigns that ended more than an hour ago are left out.',
    responses: {
      ...ok(200, 'the overview', overviewSchema),
      ...refusals(...AUTHENTICATED, 'unavailable'),
    },
  }),
];
