import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  bundleIdSchema,
  campaignIdSchema,
  claimIdSchema,
  emptyBody,
  idempotencyKeySchema,
} from '../validate.ts';
import { bundleClaimSchema, claimViewSchema, publicCampaignSchema } from '../views.schema.ts';
import { AUTHENTICATED, asOwnerOrAdmin, asUser, jsonBody, ok, refusals, WITH_BODY } from './responses.ts';

/** The users' routes (a JWT whose `sub` is the user id). */

const campaign = z.object({ id: campaignIdSchema });
const claimBody = z.strictObject({ claim: claimViewSchema });

export const publicPaths = [
  createRoute({
    method: 'get',
    path: '/v1/campaigns/{id}',
    tags: ['public'],
    summary: "A campaign's live state",
    description: "No credential. The state is decided by Redis' clock, as claims are.",
    request: { params: campaign },
    responses: {
      ...ok(200, 'the campaign', publicCampaignSchema),
      ...refusals('invalid_request', 'campaign_not_found', 'unavailable'),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/campaigns/{id}/claims',
    tags: ['public'],
    summary: 'Claim a coupon',
    description:
      "The hot path: one Lua script on the campaign's Redis slot decides atomically; the claim is stored in " +
      'Postgres by the workers (status `pending` until then). The body is optional and must be empty (`{}`). ' +
      'Its handler is hand-tuned (no generated validator); this description is kept beside the others.',
    security: asUser,
    request: {
      params: campaign,
      headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
      ...jsonBody(emptyBody, { optional: true }),
    },
    responses: {
      ...ok(201, 'claimed', claimBody),
      ...ok(200, 'the same Idempotency-Key again: the original answer', claimBody),
      ...refusals(
        ...WITH_BODY,
        ...AUTHENTICATED,
        'campaign_not_active',
        'campaign_not_found',
        'already_claimed',
        'sold_out',
        'unavailable',
      ),
    },
  }),
  createRoute({
    method: 'get',
    path: '/v1/campaigns/{id}/claims/me',
    tags: ['public'],
    summary: "The caller's claims on a campaign",
    security: asUser,
    request: { params: campaign },
    responses: {
      ...ok(200, 'oldest first', z.strictObject({ claims: z.array(claimViewSchema) })),
      ...refusals('invalid_request', ...AUTHENTICATED, 'campaign_not_found', 'unavailable'),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/campaigns/{id}/claims/{claimId}/release',
    tags: ['public'],
    summary: 'Give a coupon back',
    description:
      'The owner (or an admin) gives a coupon back: its unit returns to stock exactly once; a repeat answers ' +
      'the same. The body is optional and must be empty.',
    security: asOwnerOrAdmin,
    request: {
      params: campaign.extend({ claimId: claimIdSchema }),
      ...jsonBody(emptyBody, { optional: true }),
    },
    responses: {
      ...ok(200, 'released', claimBody),
      ...refusals(
        ...WITH_BODY,
        ...AUTHENTICATED,
        'claim_not_found',
        'already_redeemed',
        'coupon_expired',
        'unavailable',
      ),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/bundles/{id}/claims',
    tags: ['public'],
    summary: 'Claim a gift pack',
    description:
      'One coupon from each campaign of the pack, all or nothing: reserved in every campaign, then committed ' +
      "once the press' decision is recorded, or given back everywhere on any refusal (the refusal names the " +
      'campaigns). The body is optional and must be empty.',
    security: asUser,
    request: {
      params: z.object({ id: bundleIdSchema }),
      headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
      ...jsonBody(emptyBody, { optional: true }),
    },
    responses: {
      ...ok(201, 'claimed: one claim per campaign of the pack', bundleClaimSchema),
      ...ok(200, 'the same Idempotency-Key again: the original answer', bundleClaimSchema),
      ...refusals(
        ...WITH_BODY,
        ...AUTHENTICATED,
        'campaign_not_active',
        'bundle_not_found',
        'already_claimed',
        'sold_out',
        'unavailable',
      ),
    },
  }),
];
