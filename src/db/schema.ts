import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Campaign definitions. Postgres is their source of truth; Redis holds a live copy plus the counters. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    totalStock: integer('total_stock').notNull(),
    perUserLimit: integer('per_user_limit').notNull().default(1),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    paused: boolean('paused').notNull().default(false),
    version: integer('version').notNull().default(1),
    /** Stock buckets (each under a hash tag of its own in Redis), fixed at creation. */
    buckets: smallint('buckets').notNull().default(1),
    /** A coupon not redeemed within this many seconds of its claim expires (null: never). */
    couponTtlSeconds: integer('coupon_ttl_seconds'),
    /** Whether an expired coupon's unit goes back to stock (off: it is simply gone). */
    returnExpired: boolean('return_expired').notNull().default(false),
    /** The first group of every coupon code of the campaign (from its id), to find a pending coupon. */
    codePrefix: text('code_prefix').notNull().default(''),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('campaigns_total_stock_nonnegative', sql`${t.totalStock} >= 0`),
    check('campaigns_per_user_limit_positive', sql`${t.perUserLimit} >= 1`),
    check('campaigns_window_ordered', sql`${t.endsAt} > ${t.startsAt}`),
    check('campaigns_buckets_range', sql`${t.buckets} between 1 and 64`),
    check('campaigns_coupon_ttl_positive', sql`${t.couponTtlSeconds} is null or ${t.couponTtlSeconds} > 0`),
    index('campaigns_code_prefix_idx').on(t.codePrefix),
  ],
);

/**
 * The ledger of acknowledged claims. The database itself refuses a duplicate: the claim id, the coupon
 * code and (campaign, user, ordinal) are each unique, where ordinal is the user's n-th claim (1..limit).
 */
export const claims = pgTable(
  'claims',
  {
    id: uuid('id').primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    userId: text('user_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    couponCode: text('coupon_code').notNull(),
    idempotencyKey: text('idempotency_key'),
    claimedAt: ts('claimed_at').notNull(),
    persistedAt: ts('persisted_at').notNull().defaultNow(),
    /** Which of the campaign's stock buckets sold the coupon (0 for a campaign with one). */
    bucket: smallint('bucket').notNull().default(0),
    /** The claim's place in its bucket's sequence in Redis: unique, and the fence's watermark. */
    seq: bigint('seq', { mode: 'number' }),
    /**
     * Sold from another bucket than the user's home (it was empty): the home bucket and the place of the
     * hold in its sequence, the home's fence watermark. Null when the home bucket sold it.
     */
    homeBucket: smallint('home_bucket'),
    homeSeq: bigint('home_seq', { mode: 'number' }),
    /**
     * The coupon's life after the grab: active (held, usable), redeemed (used once, with its order),
     * released (given back by its owner), expired (not redeemed in time). Postgres decides every change.
     */
    status: text('status').notNull().default('active'),
    expiresAt: ts('expires_at'),
    redeemedAt: ts('redeemed_at'),
    orderId: text('order_id'),
    releasedAt: ts('released_at'),
    /** Its unit went back to stock (released, or expired on a campaign that returns them)... */
    unitReturned: boolean('unit_returned').notNull().default(false),
    /** ...and Redis has it back (until then the reconciler finishes the return). */
    returnedAt: ts('returned_at'),
    /** Claimed as part of a gift pack: the press of the pack (every claim of it carries the same id). */
    bundleClaimId: uuid('bundle_claim_id'),
  },
  (t) => [
    uniqueIndex('claims_coupon_code_uq').on(t.couponCode),
    // A unit given back frees its (user, ordinal) place: the user may claim again within the limit.
    uniqueIndex('claims_campaign_user_ordinal_uq')
      .on(t.campaignId, t.userId, t.ordinal)
      .where(sql`not ${t.unitReturned}`),
    index('claims_campaign_user_idx').on(t.campaignId, t.userId),
    // The per-user check looks only for ordinals above the limit (see ClaimsRepo.usersOver).
    index('claims_campaign_ordinal_idx').on(t.campaignId, t.ordinal).where(sql`not ${t.unitReturned}`),
    index('claims_returning_idx').on(t.campaignId).where(sql`${t.unitReturned} and ${t.returnedAt} is null`),
    index('claims_expiring_idx')
      .on(t.campaignId, t.expiresAt)
      .where(sql`${t.status} = 'active' and ${t.expiresAt} is not null`),
    uniqueIndex('claims_campaign_bucket_seq_uq').on(t.campaignId, t.bucket, t.seq),
    index('claims_campaign_home_seq_idx')
      .on(t.campaignId, t.homeBucket, t.homeSeq)
      .where(sql`${t.homeBucket} is not null`),
    index('claims_bundle_claim_idx').on(t.bundleClaimId).where(sql`${t.bundleClaimId} is not null`),
    check('claims_ordinal_positive', sql`${t.ordinal} >= 1`),
    check('claims_status_known', sql`${t.status} in ('active', 'redeemed', 'released', 'expired')`),
    check('claims_redeemed_has_order', sql`(${t.status} = 'redeemed') = (${t.orderId} is not null)`),
  ],
);

/** Gift packs: one coupon from each of 2 to 100 campaigns, claimed all or nothing. */
export const bundles = pgTable(
  'bundles',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** The campaigns, in the order they were given. */
    campaignIds: text('campaign_ids').array().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [check('bundles_size', sql`cardinality(${t.campaignIds}) between 2 and 100`)],
);
export type BundleRow = typeof bundles.$inferSelect;

/**
 * The database's own guard against an oversell: one row per campaign counts the coupons the ledger holds
 * (`sold`), and a check keeps it at or under the total stock. Every batch of claims bumps it in the same
 * statement that inserts them, so Postgres refuses the claim that would exceed the stock, whatever Redis
 * says (a Redis that came back behind, a promoted replica that lagged).
 */
export const campaignLedger = pgTable(
  'campaign_ledger',
  {
    campaignId: text('campaign_id')
      .primaryKey()
      .references(() => campaigns.id),
    totalStock: integer('total_stock').notNull(),
    sold: integer('sold').notNull().default(0),
  },
  (t) => [
    check('campaign_ledger_sold_within_stock', sql`${t.sold} <= ${t.totalStock}`),
    check('campaign_ledger_sold_nonnegative', sql`${t.sold} >= 0`),
  ],
);

/** One row per reconciler run: what it found and what it repaired. */
export const reconciliationRuns = pgTable(
  'reconciliation_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    trigger: text('trigger').notNull(),
    campaignId: text('campaign_id'),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at').notNull(),
    ok: boolean('ok').notNull(),
    report: jsonb('report').notNull(),
  },
  (t) => [index('reconciliation_runs_started_at_idx').on(t.startedAt)],
);

/**
 * Stock changes, as Redis decided them. lua/adjust_stock.lua applies a change and journals it in one
 * step; this row follows (idempotent by id), and the reconciler replays journal entries missing here.
 */
export const stockAdjustments = pgTable(
  'stock_adjustments',
  {
    id: uuid('id').primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    delta: integer('delta').notNull(),
    actor: text('actor').notNull(),
    totalBefore: integer('total_before').notNull(),
    totalAfter: integer('total_after').notNull(),
    remainingAfter: integer('remaining_after').notNull(),
    /** The bucket it changed (a change spread over buckets is one row per bucket). */
    bucket: smallint('bucket').notNull().default(0),
    /** The operator's adjustment this row is part of (its own id when it is the whole of it). */
    adjustmentId: uuid('adjustment_id'),
    appliedAt: ts('applied_at').notNull(),
    recordedAt: ts('recorded_at').notNull().defaultNow(),
    recordedBy: text('recorded_by').notNull().default('api'),
  },
  (t) => [index('stock_adjustments_campaign_idx').on(t.campaignId, t.appliedAt)],
);

/** Audit log of every operator change: who, when, what, before and after. */
export const campaignChanges = pgTable(
  'campaign_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('campaign_changes_campaign_idx').on(t.campaignId, t.at)],
);

export type CampaignRow = typeof campaigns.$inferSelect;
export type ClaimRow = typeof claims.$inferSelect;
export type NewClaimRow = typeof claims.$inferInsert;
