import { z } from 'zod';
import { MAX_BUCKETS } from '../domain/buckets.ts';
import { CAMPAIGN_ID, CAMPAIGN_ID_RULE } from '../domain/campaign.ts';
import { isSafeText, SAFE_TEXT_RULE } from '../domain/identity.ts';

/** Instants Postgres and Redis both hold exactly: from 1970 to the end of year 9999, with an offset. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1) - 1;
const instant = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .refine((d) => !Number.isNaN(d.getTime()) && d.getTime() >= EARLIEST && d.getTime() <= LATEST, {
    message: 'must be between 1970-01-01 and 9999-12-31',
  });

const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(isSafeText, { message: `name ${SAFE_TEXT_RULE}` });

export const createCampaignBody = z
  .strictObject({
    id: z.string().regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE).optional(),
    name,
    totalStock: z.number().int().min(0).max(100_000_000),
    perUserLimit: z.number().int().min(1).max(1_000).default(1),
    startsAt: instant,
    endsAt: instant,
    /** Stock buckets, each under a hash tag of its own (spread over a cluster's masters). */
    buckets: z.number().int().min(1).max(MAX_BUCKETS).default(1),
    /** A coupon not redeemed within this many seconds of its claim expires (absent: never). */
    couponTtlSeconds: z
      .number()
      .int()
      .min(1)
      .max(10 * 366 * 86_400)
      .optional(),
    /** Whether an expired coupon's unit goes back to stock. */
    returnExpired: z.boolean().default(false),
  })
  .refine((b) => b.endsAt > b.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] });

export type CreateCampaignInput = z.infer<typeof createCampaignBody>;

/** PATCH: name, window and paused; at least one of them. */
export const patchCampaignBody = z
  .strictObject({
    name: name.optional(),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
    paused: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'change at least one field' });

export type PatchCampaignInput = z.infer<typeof patchCampaignBody>;

export const stockBody = z.strictObject({
  delta: z
    .number()
    .int()
    .min(-100_000_000)
    .max(100_000_000)
    .refine((d) => d !== 0, 'delta must not be 0'),
});
