import type { Claim } from '../../domain/claim.ts';
import type { Database } from '../client.ts';
import { sqlState } from '../outage.ts';

export type RefusalReason = 'conflict' | 'over_stock' | 'invalid';

export interface InsertOutcome {
  /** Rows this call wrote. */
  inserted: string[];
  /** Claims already present under the same id: a re-delivery, harmless. */
  alreadyPresent: string[];
  /**
   * Claims Postgres refused, and why: another row holds their coupon code, their (campaign, user,
   * ordinal) or their (campaign, bucket, seq) (`conflict`); the ledger would exceed the stock
   * (`over_stock`); or a value Postgres cannot store (`invalid`).
   */
  refused: { id: string; reason: RefusalReason }[];
}

/**
 * Batches travel as one JSON parameter that Postgres unpacks (jsonb_to_recordset): the statement text is
 * the same for any batch size, so it is prepared once and no 1,000-placeholder query is built. Not
 * sql.array(): postgres.js serialises arrays through a type map it fetches after a connection opens, and
 * a query built before that sends `a,b` instead of `{a,b}`, which Postgres rejects. The parameter is typed
 * text (`::text::jsonb`): typed jsonb, postgres.js would JSON-encode the string again on a client that
 * drizzle has not patched.
 */
function rowsJson(batch: Claim[]): string {
  return JSON.stringify(
    batch.map((c) => ({
      id: c.id,
      campaign_id: c.campaignId,
      user_id: c.userId,
      ordinal: c.ordinal,
      coupon_code: c.couponCode,
      idempotency_key: c.idempotencyKey ?? null,
      claimed_ms: c.claimedAt,
      seq: c.seq,
      bucket: c.bucket ?? 0,
      home_bucket: c.homeBucket ?? null,
      home_seq: c.homeSeq ?? null,
      bundle_claim_id: c.bundleClaimId ?? null,
    })),
  );
}

/** The SQL type of one row of a batch as jsonb_to_recordset unpacks it. */
const ROW_TYPE =
  '(id uuid, campaign_id text, user_id text, ordinal int, coupon_code text, idempotency_key text, claimed_ms bigint, seq bigint, bucket smallint, home_bucket smallint, home_seq bigint, bundle_claim_id uuid)';

const reasonOf = (err: unknown): RefusalReason | null => {
  const state = sqlState(err) ?? '';
  if (state === '23514') return 'over_stock'; // the ledger's check: sold <= total_stock
  if (/^23/.test(state)) return 'conflict';
  if (/^22/.test(state)) return 'invalid';
  return null;
};

/** Writing claims into the ledger: batched, idempotent, and telling apart why a row was not written. */
export function claimWrites({ sql }: Pick<Database, 'sql'>) {
  const rowType = sql.unsafe(ROW_TYPE);

  /** Which of these claim ids are in Postgres. */
  const existing = async (ids: string[]): Promise<Set<string>> => {
    if (ids.length === 0) return new Set();
    const rows = await sql<{ id: string }[]>`
      select id from claims
      where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb))`;
    return new Set(rows.map((r) => r.id));
  };

  /**
   * One statement: the rows not yet present are inserted, and each campaign's ledger counts them; the
   * ledger's check refuses the statement if that would exceed the stock.
   */
  const insertBatch = async (batch: Claim[]): Promise<InsertOutcome> => {
    const rows = await sql<{ id: string }[]>`
      with ins as (
        insert into claims (id, campaign_id, user_id, ordinal, coupon_code, idempotency_key, claimed_at, seq,
          bucket, home_bucket, home_seq, bundle_claim_id, expires_at)
        select t.id, t.campaign_id, t.user_id, t.ordinal, t.coupon_code, t.idempotency_key,
          to_timestamp(t.claimed_ms / 1000.0), t.seq, t.bucket, t.home_bucket, t.home_seq, t.bundle_claim_id,
          -- The coupon's expiry follows from its claim time (Redis' clock) and the campaign's rule.
          to_timestamp(t.claimed_ms / 1000.0) + make_interval(secs => c.coupon_ttl_seconds)
        from jsonb_to_recordset(${rowsJson(batch)}::text::jsonb) as t${rowType}
        left join campaigns c on c.id = t.campaign_id
        on conflict do nothing
        returning id, campaign_id
      ), counted as (
        update campaign_ledger l set sold = l.sold + x.n
        from (select campaign_id, count(*)::int as n from ins group by campaign_id) x
        where l.campaign_id = x.campaign_id
      )
      select id from ins`;
    const inserted = rows.map((r) => r.id);
    if (inserted.length === batch.length) return { inserted, alreadyPresent: [], refused: [] };
    const written = new Set(inserted);
    const skipped = batch.filter((c) => !written.has(c.id)).map((c) => c.id);
    const present = await existing(skipped);
    return {
      inserted,
      alreadyPresent: skipped.filter((id) => present.has(id)),
      refused: skipped.filter((id) => !present.has(id)).map((id) => ({ id, reason: 'conflict' as const })),
    };
  };

  /**
   * A refusal of the whole statement (a bad value, the ledger's check) would fail every claim in it
   * forever: retry row by row, so one bad claim cannot hold back the rest.
   */
  const insertIsolating = async (batch: Claim[]): Promise<InsertOutcome> => {
    try {
      return await insertBatch(batch);
    } catch (err) {
      const reason = reasonOf(err);
      if (reason === null) throw err;
      if (batch.length === 1)
        return { inserted: [], alreadyPresent: [], refused: [{ id: batch[0]!.id, reason }] };
      const outcome: InsertOutcome = { inserted: [], alreadyPresent: [], refused: [] };
      for (const claim of batch) {
        const one = await insertIsolating([claim]);
        outcome.inserted.push(...one.inserted);
        outcome.alreadyPresent.push(...one.alreadyPresent);
        outcome.refused.push(...one.refused);
      }
      return outcome;
    }
  };

  return {
    existing,

    /** One multi-row INSERT per batch, idempotent by the claim id; a refused row never blocks the others. */
    insertMany: insertIsolating,

    /**
     * Claims Postgres would refuse although their id is new: another row already holds their coupon code,
     * their (campaign, user, ordinal) or their (campaign, bucket, seq). Re-sending them cannot help.
     */
    async conflicting(batch: Claim[]): Promise<Set<string>> {
      if (batch.length === 0) return new Set();
      const rows = await sql<{ id: string }[]>`
        select t.id from jsonb_to_recordset(${rowsJson(batch)}::text::jsonb) as t${rowType}
        where exists (
          select 1 from claims c where c.id <> t.id and (c.coupon_code = t.coupon_code
            or (c.campaign_id = t.campaign_id and c.user_id = t.user_id and c.ordinal = t.ordinal
              and not c.unit_returned)
            or (c.campaign_id = t.campaign_id and c.bucket = t.bucket and c.seq = t.seq)))`;
      return new Set(rows.map((r) => r.id));
    },
  };
}
