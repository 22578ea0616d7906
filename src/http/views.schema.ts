import { z } from 'zod';

/**
 * The shapes of the API's answers as zod schemas: views.ts takes its types from them and the OpenAPI
 * document publishes them, so a field added to a view without its schema does not compile, and the
 * conformance test checks real answers against the published shapes. The `id` meta names a component.
 */

const instant = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const couponStatus = z.enum(['pending', 'persisted', 'redeemed', 'released', 'expired']);

export const claimViewSchema = z
  .strictObject({
    id: z.uuid(),
    campaignId: z.string(),
    userId: z.string(),
    couponCode: z.string(),
    claimedAt: instant,
    status: couponStatus,
  })
  .meta({ id: 'Claim', description: 'One claimed coupon, as its owner sees it.' });

export const publicCampaignSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    startsAt: instant,
    endsAt: instant,
    state: z.enum(['scheduled', 'active', 'paused', 'sold_out', 'ended']),
    totalStock: count,
    remaining: count,
    perUserLimit: z.number().int().positive(),
  })
  .meta({ id: 'PublicCampaign', description: "A campaign's live state (Redis' copy and clock)." });

export const adminCampaignSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    totalStock: count,
    perUserLimit: z.number().int().positive(),
    startsAt: instant,
    endsAt: instant,
    paused: z.boolean(),
    version: z.number().int().positive(),
    buckets: z.number().int().min(1).max(64),
    couponTtlSeconds: z.number().int().positive().nullable(),
    returnExpired: z.boolean(),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'AdminCampaign', description: "A campaign's definition (Postgres); `version` is its ETag." });

export const bundleViewSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    campaignIds: z.array(z.string()).min(2).max(100),
    createdAt: instant,
  })
  .meta({ id: 'Bundle', description: 'A gift pack: one coupon from each of its campaigns, all or nothing.' });

export const bundleClaimSchema = z
  .strictObject({
    bundleId: z.string(),
    bundleClaimId: z.uuid().describe('this press of the pack; every claim of it carries it in Postgres'),
    claims: z.array(claimViewSchema),
  })
  .meta({ id: 'BundleClaim', description: 'The claims of one press of a gift pack, one per campaign.' });

export const couponViewSchema = z
  .strictObject({
    code: z.string(),
    claimId: z.uuid(),
    campaignId: z.string(),
    userId: z.string(),
    status: couponStatus,
    claimedAt: instant,
    redeemedAt: instant.optional(),
    expiresAt: instant.optional(),
    orderId: z.string().optional(),
  })
  .meta({ id: 'Coupon', description: "A coupon's life after the grab." });

export const stockEntrySchema = z
  .strictObject({
    id: z.string(),
    delta: z.number().int(),
    actor: z.string(),
    at: z.number().int().describe('epoch milliseconds (Redis clock)'),
    totalBefore: count,
    totalAfter: count,
    remainingAfter: count,
    group: z.string().optional(),
    bucket: z.number().int().nonnegative().optional(),
  })
  .meta({ id: 'StockAdjustment' });

export const stockChangeSchema = z
  .strictObject({ adjustment: stockEntrySchema, campaign: adminCampaignSchema, replayed: z.boolean() })
  .meta({ id: 'StockChange' });

export const changeSchema = z
  .strictObject({
    id: z.number().int(),
    campaignId: z.string(),
    actor: z.string(),
    action: z.enum(['create', 'update', 'pause', 'resume', 'stock']),
    before: z.unknown(),
    after: z.unknown(),
    requestId: z.string().nullable(),
    at: instant,
  })
  .meta({ id: 'CampaignChange', description: 'One entry of the operator audit log.' });

const queueCounts = z.strictObject({ waiting: count, active: count, delayed: count, failed: count });

export const statsSchema = z
  .strictObject({
    id: z.string(),
    totalStock: count,
    remaining: count,
    claimed: count,
    persisted: count,
    pending: count,
    redeemed: count,
    released: count,
    expired: count,
    queue: queueCounts,
    buckets: z.array(
      z.strictObject({
        bucket: count,
        totalStock: count,
        remaining: count,
        claimed: count,
        pending: count,
      }),
    ),
  })
  .meta({ id: 'CampaignStats' });

export { queueCounts as queueCountsSchema };
