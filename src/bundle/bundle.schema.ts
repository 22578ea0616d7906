import { z } from 'zod';
import { CAMPAIGN_ID, CAMPAIGN_ID_RULE } from '../domain/campaign.ts';
import { isSafeText, SAFE_TEXT_RULE } from '../domain/identity.ts';

/** A gift pack holds one coupon from each of 2 to 100 distinct campaigns. */
export const BUNDLE_MIN = 2;
export const BUNDLE_MAX = 100;

export const createBundleBody = z.strictObject({
  id: z.string().regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE.replace('campaign', 'bundle')).optional(),
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine(isSafeText, { message: `name ${SAFE_TEXT_RULE}` }),
  campaignIds: z
    .array(z.string().regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE))
    .min(BUNDLE_MIN)
    .max(BUNDLE_MAX)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'campaignIds must be distinct' }),
});
export type CreateBundleInput = z.infer<typeof createBundleBody>;
