import { sql } from 'drizzle-orm';
import type { Tx } from './client.ts';

/** Advisory lock namespaces, so the product's locks never collide with each other or with anyone else's. */
const RECONCILE_NAMESPACE = 7_313_002;

/**
 * Holds the campaign's reconcile lock until the transaction ends: one reconciliation pass at a time per
 * campaign, across every process.
 */
export async function lockCampaignForReconcile(tx: Tx, campaignId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${RECONCILE_NAMESPACE}, hashtext(${campaignId}))`);
}
