import { z } from 'zod';
import { CAMPAIGN_ID, CAMPAIGN_ID_RULE } from '../domain/campaign.ts';

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const createCampaignBody = z
  .strictObject({
    id: z.string().regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE).optional(),
    name: z.string().trim().min(1).max(200),
    totalStock: z.number().int().min(0).max(100_000_000),
    perUserLimit: z.number().int().min(1).max(1_000).default(1),
    startsAt: instant,
    endsAt: instant,
  })
  .refine((b) => b.endsAt > b.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] });

export type CreateCampaignInput = z.infer<typeof createCampaignBody>;

/** PATCH: name, window and paused; at least one of them. */
export const patchCampaignBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
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
