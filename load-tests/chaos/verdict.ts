import postgres from 'postgres';
import { percentile } from '../lib/stats.ts';
import type { Coverage } from './plan.ts';
import type { RecoveryMeasure } from './scenario.ts';
import { acknowledged, type UserLog } from './traffic.ts';

/** Every figure of one run, read from the users' answers and from Postgres after the drain. */
export interface Figures {
  users: number;
  answers: number;
  /** Distinct claim ids answered 201 or replayed 200. */
  acknowledged: number;
  /** Acknowledged claims Postgres does not hold (or holds for another user or coupon). */
  lost: number;
  lostRate: number;
  duplicated: number;
  duplicates: { usersWithRows: number; codesInRows: number; usersWithTwoIds: number };
  rows: number;
  /** Rows of claims no answer acknowledged (their users saw only 503s or errors, or gave up). */
  unacknowledgedRows: number;
  oversold: number;
  /** Acknowledged claims beyond the stock: a unit sold twice to two users who both got 201. */
  beyondStock: number;
  unavailable: number;
  connectionErrors: number;
  /** Users whose last answer was still a 503, 429 or error after every retry (outcome unknown to them). */
  gaveUp: number;
  recoveryMs: number | null;
  lagMs: { p50: number; p99: number };
  /** 503 answers by their message. */
  unavailableWhy: Record<string, number>;
  /** Stored reconciliation reports that were not ok, by trigger. */
  reportsNotOk: Record<string, number>;
}

export interface Marks {
  fault?: number;
  heal?: number;
}

interface Row {
  id: string;
  user_id: string;
  coupon_code: string;
  claimed: number;
  persisted: number;
}

const tally = (values: string[]) => {
  const seen: Record<string, number> = {};
  for (const v of values) seen[v] = (seen[v] ?? 0) + 1;
  return seen;
};
const countOver = (values: string[]) => Object.values(tally(values)).filter((n) => n > 1).length;

/**
 * Answers that only Redis gives: every user sends an Idempotency-Key, so none comes from an instance's
 * sold-out snapshot (which keeps answering while Redis is down).
 */
const DEFINITIVE = new Set([200, 201, 409, 410]);

function recovery(measure: RecoveryMeasure, marks: Marks, users: UserLog[], rows: Row[]): number | null {
  const answers = users.flatMap((u) => u.answers);
  const heal = marks.heal ?? marks.fault;
  if (marks.fault === undefined || heal === undefined) return null;
  const min = (xs: number[]) => (xs.length > 0 ? Math.min(...xs) : null);
  const max = (xs: number[]) => (xs.length > 0 ? Math.max(...xs) : null);
  switch (measure) {
    case 'first-201': {
      const first = min(answers.filter((a) => DEFINITIVE.has(a.status) && a.at >= heal).map((a) => a.at));
      return first === null ? null : first - heal;
    }
    case 'last-failure': {
      const fault = marks.fault;
      const last = max(
        answers.filter((a) => (a.status === 503 || a.status === 0) && a.at >= fault).map((a) => a.at),
      );
      return last === null ? 0 : last - fault;
    }
    case 'persisted': {
      const first = min(rows.filter((r) => r.persisted >= heal).map((r) => r.persisted));
      return first === null ? null : first - heal;
    }
    case 'repaired': {
      const fault = marks.fault;
      const last = max(rows.filter((r) => r.claimed <= fault).map((r) => r.persisted));
      return last === null ? null : Math.max(0, last - fault);
    }
    case 'none':
      return null;
  }
}

export async function measure(opts: {
  databaseUrl: string;
  campaignId: string;
  users: UserLog[];
  recovery: RecoveryMeasure;
  marks: Marks;
}): Promise<Figures> {
  const sql = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  let rows: Row[];
  let runs: { trigger: string; n: number }[];
  try {
    rows = (
      await sql<{ id: string; user_id: string; coupon_code: string; claimed: string; persisted: string }[]>`
        select id, user_id, coupon_code, extract(epoch from claimed_at) * 1000 as claimed,
          extract(epoch from persisted_at) * 1000 as persisted
        from claims where campaign_id = ${opts.campaignId}`
    ).map((r) => ({ ...r, claimed: Number(r.claimed), persisted: Number(r.persisted) }));
    runs = await sql<{ trigger: string; n: number }[]>`
      select trigger, count(*)::int as n from reconciliation_runs where not ok group by trigger`;
  } finally {
    await sql.end({ timeout: 2 });
  }

  const acked = new Map<string, { user: string; code: string | undefined }>();
  let usersWithTwoIds = 0;
  let gaveUp = 0;
  for (const u of opts.users) {
    const ids = new Set<string>();
    for (const a of u.answers.filter(acknowledged)) {
      ids.add(a.claimId!);
      acked.set(a.claimId!, { user: u.user, code: a.couponCode });
    }
    if (ids.size > 1) usersWithTwoIds++;
    const last = u.answers.at(-1)?.status;
    if (last === 503 || last === 429 || last === 0) gaveUp++;
  }
  const stored = new Map(rows.map((r) => [r.id, r]));
  const lost = [...acked].filter(([id, a]) => {
    const row = stored.get(id);
    return !row || row.user_id !== a.user || (a.code !== undefined && row.coupon_code !== a.code);
  }).length;
  const duplicates = {
    usersWithRows: countOver(rows.map((r) => r.user_id)),
    codesInRows: countOver(rows.map((r) => r.coupon_code)),
    usersWithTwoIds,
  };
  const answers = opts.users.flatMap((u) => u.answers);
  const lags = rows.map((r) => r.persisted - r.claimed).sort((a, b) => a - b);
  return {
    users: opts.users.length,
    answers: answers.length,
    acknowledged: acked.size,
    lost,
    lostRate: acked.size === 0 ? 0 : lost / acked.size,
    duplicated: duplicates.usersWithRows + duplicates.codesInRows + duplicates.usersWithTwoIds,
    duplicates,
    rows: rows.length,
    unacknowledgedRows: rows.filter((r) => !acked.has(r.id)).length,
    oversold: 0,
    beyondStock: 0,
    unavailable: answers.filter((a) => a.status === 503).length,
    unavailableWhy: tally(answers.flatMap((a) => (a.reason === undefined ? [] : [a.reason]))),
    connectionErrors: answers.filter((a) => a.status === 0).length,
    gaveUp,
    recoveryMs: recovery(opts.recovery, opts.marks, opts.users, rows),
    lagMs: { p50: Math.round(percentile(lags, 50)), p99: Math.round(percentile(lags, 99)) },
    reportsNotOk: Object.fromEntries(runs.map((r) => [r.trigger, r.n])),
  };
}

/** Pass: no more rows than stock, no duplicate, and no loss where the mode's guarantee covers the fault. */
export function judge(
  figures: Figures,
  stock: number,
  coverage: Coverage,
  extra: { ok: boolean; what: string }[],
): { pass: boolean; reasons: string[] } {
  figures.oversold = Math.max(0, figures.rows - stock);
  figures.beyondStock = Math.max(0, figures.acknowledged - stock);
  const reasons: string[] = [];
  if (figures.rows > stock) reasons.push(`${figures.rows} rows for a stock of ${stock}`);
  if (figures.duplicated > 0)
    reasons.push(`${figures.duplicated} duplicated (${JSON.stringify(figures.duplicates)})`);
  if (coverage === 'covered' && figures.lost > 0)
    reasons.push(`${figures.lost} acknowledged claims lost where the mode promises none`);
  for (const c of extra) if (!c.ok) reasons.push(c.what);
  return { pass: reasons.length === 0, reasons };
}
