import type { ClosedLoopResult } from '../lib/driver.ts';
import type { Percentiles } from '../lib/stats.ts';
import { isCorrect, type Tally } from './count.ts';
import type { Driven } from './drive.ts';
import type { Counters } from './strategies/strategy.ts';

/** One row of the lab's table: one strategy, one variant, one instance count. */
export interface RunResult {
  strategy: string;
  title: string;
  /** The flash-sale storm (one coupon, or multi-item orders), or the closed-loop capacity run. */
  variant: 'single' | 'multi' | 'capacity';
  instances: number;
  /** The product's path is reported twice: when the client is answered, and when Postgres holds it. */
  stage?: 'acknowledged' | 'persisted';
  requests: number;
  placed: number;
  /**
   * Placed per second: in a storm, from the first arrival to the last placed answer (or row), so never more
   * than the arrival rate; in the capacity run, over the run's whole duration.
   */
  claimsPerSecond: number;
  /** Every answer (placed or refused) per second, to the last answer. */
  answeredPerSecond: number;
  latency: Percentiles;
  statuses: Record<string, number>;
  /** Answered 429: a lock wait or its retries ran out and the client was asked to try again. */
  gaveUp: number;
  /** 5xx answers, transport errors and timeouts. */
  errors: number;
  counters: Counters;
  tally: Tally;
  correct: boolean;
  /** Arrivals the load generator itself started over 100 ms late (it, too, shares this machine). */
  lateStarts: number;
}

/** Who ran and the verdict: what every row has, however it was measured. */
interface RowBase {
  strategy: string;
  title: string;
  instances: number;
  counters: Counters;
  tally: Tally;
}

/** What one run measured. */
interface Measured {
  variant: RunResult['variant'];
  requests: number;
  statuses: Record<string, number>;
  /** Transport errors and timeouts (answered as status 0); 5xx are added from `statuses`. */
  transportErrors: number;
  latency: Percentiles;
  placedPerSecond: (placed: number) => number;
  answeredPerSecond: number;
  lateStarts: number;
}

function rowOf(base: RowBase, m: Measured): RunResult {
  const placed = m.statuses['201'] ?? 0;
  const serverErrors = Object.entries(m.statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
  return {
    ...base,
    variant: m.variant,
    requests: m.requests,
    placed,
    claimsPerSecond: m.placedPerSecond(placed),
    answeredPerSecond: m.answeredPerSecond,
    latency: m.latency,
    statuses: m.statuses,
    gaveUp: m.statuses['429'] ?? 0,
    errors: m.transportErrors + serverErrors,
    correct: isCorrect(base.tally),
    lateStarts: m.lateStarts,
  };
}

/** One storm row: an open model of arrivals at a fixed rate. */
export function resultOf(opts: RowBase & { variant: RunResult['variant']; driven: Driven }): RunResult {
  const { driven, variant, ...base } = opts;
  const { drive, lastPlacedS, lastAnswerS } = driven;
  return rowOf(base, {
    variant,
    requests: drive.requests,
    statuses: drive.statuses,
    transportErrors: drive.errors,
    latency: drive.latency,
    placedPerSecond: (placed) => (lastPlacedS > 0 ? placed / lastPlacedS : 0),
    answeredPerSecond: lastAnswerS > 0 ? drive.requests / lastAnswerS : 0,
    lateStarts: drive.lateStarts,
  });
}

/** One capacity row: a closed loop of new users on stock that never runs out. */
export function capacityResultOf(opts: RowBase & { loop: ClosedLoopResult }): RunResult {
  const { loop, ...base } = opts;
  const perSecond = (n: number) => (loop.durationS > 0 ? n / loop.durationS : 0);
  return rowOf(base, {
    variant: 'capacity',
    requests: loop.requests,
    statuses: loop.statuses,
    transportErrors: loop.errors,
    latency: loop.latency,
    placedPerSecond: perSecond,
    answeredPerSecond: perSecond(loop.requests),
    lateStarts: 0,
  });
}
