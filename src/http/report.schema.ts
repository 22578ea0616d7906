import { z } from 'zod';
import type { RunReport } from '../reconcile/report.ts';

/** The reconciler's report (src/reconcile/report.ts) as the admin API answers it. */

const count = z.number().int().nonnegative();

const violationSchema = z.strictObject({
  invariant: z.enum([
    'I1',
    'I2',
    'I3',
    'I4',
    'I5',
    'I6',
    'redis_state',
    'definition',
    'stock',
    'refused',
    'ledger',
    'holds',
    'reservations',
    'returns',
    'lifecycle',
    'error',
  ]),
  message: z.string(),
  values: z.record(z.string(), z.unknown()),
  repaired: z.boolean(),
});

const bucketSchema = z.strictObject({
  bucket: count,
  totalStock: count,
  remaining: count,
  claimed: count,
  pending: count,
});

const campaignReportSchema = z.strictObject({
  campaignId: z.string(),
  durationMs: count,
  redis: z.strictObject({
    totalStock: count,
    remaining: count,
    claimed: count,
    claimRecords: count,
    pending: count,
  }),
  buckets: z.array(bucketSchema).optional(),
  postgres: z.strictObject({ totalStock: count, persisted: count }),
  repairs: z.strictObject({
    rebuilt: z.boolean(),
    definitionSynced: z.boolean(),
    stockChangesRecorded: count,
    countersFixed: z.boolean(),
    markedPersisted: count,
    requeued: count,
    verifiedRun: z.boolean(),
    holdsResolved: count,
    reservationsSettled: count,
    expired: count,
    returned: count,
  }),
  violations: z.array(violationSchema),
  drained: z.boolean(),
});

export const runReportSchema = z
  .strictObject({
    runId: z.number().int().nullable(),
    trigger: z.enum(['schedule', 'manual', 'cli', 'recovery']),
    startedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }),
    durationMs: count,
    ok: z.boolean().describe('false when any violation was left unrepaired'),
    interrupted: z.boolean(),
    campaigns: z.array(campaignReportSchema),
  })
  .meta({ id: 'ReconcileReport', description: 'What one reconciliation pass found and repaired.' });

// The schema and the reconciler's type describe the same object.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const reportSchemaMatches: Same<z.infer<typeof runReportSchema>, RunReport> = true;
