import { z } from 'zod';
import { queueCountsSchema } from '../http/views.schema.ts';
import { OUTCOMES } from './outcomes.ts';

const count = z.number().int().nonnegative();

/** What GET /v1/admin/dashboard answers (and /dashboard draws). */
export const overviewSchema = z
  .strictObject({
    at: z.iso.datetime({ offset: true }).describe("when the figures were read (this instance's clock)"),
    queue: queueCountsSchema.describe('the persist queue (shared by every campaign)'),
    campaigns: z.array(
      z.strictObject({
        id: z.string(),
        name: z.string(),
        state: z.enum(['scheduled', 'active', 'paused', 'sold_out', 'ended']),
        startsAt: z.iso.datetime({ offset: true }),
        endsAt: z.iso.datetime({ offset: true }),
        totalStock: count,
        remaining: count,
        claimed: count,
        persisted: count,
        pending: count,
        redeemed: count,
        released: count,
        expired: count,
        persistLagMs: count.describe('age of the oldest claim not yet in Postgres (0: none waiting)'),
        outcomes: z
          .strictObject(
            Object.fromEntries(OUTCOMES.map((o) => [o, count])) as Record<
              (typeof OUTCOMES)[number],
              typeof count
            >,
          )
          .describe('claim answers since the campaign began, summed over every instance'),
      }),
    ),
  })
  .meta({ id: 'Overview' });

export type Overview = z.infer<typeof overviewSchema>;
