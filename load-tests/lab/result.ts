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

export function resultOf(opts: {
  strategy: string;
  title: string;
  variant: RunResult['variant'];
  instances: number;
  driven: Driven;
  counters: Counters;
  tally: Tally;
}): RunResult {
  const { drive } = opts.driven;
  const placed = drive.statuses['201'] ?? 0;
  return {
    strategy: opts.strategy,
    title: opts.title,
    variant: opts.variant,
    instances: opts.instances,
    requests: drive.requests,
    placed,
    claimsPerSecond: opts.driven.lastPlacedS > 0 ? placed / opts.driven.lastPlacedS : 0,
    answeredPerSecond: opts.driven.lastAnswerS > 0 ? drive.requests / opts.driven.lastAnswerS : 0,
    latency: drive.latency,
    statuses: drive.statuses,
    gaveUp: drive.statuses['429'] ?? 0,
    // drive.errors already counts the transport errors and timeouts (answered as status 0).
    errors: drive.errors + serverErrors(drive.statuses),
    counters: opts.counters,
    tally: opts.tally,
    correct: isCorrect(opts.tally),
    lateStarts: drive.lateStarts,
  };
}

const serverErrors = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);

/** One capacity row: a closed loop of new users on stock that never runs out. */
export function capacityResultOf(opts: {
  strategy: string;
  title: string;
  instances: number;
  loop: ClosedLoopResult;
  counters: Counters;
  tally: Tally;
}): RunResult {
  const { loop } = opts;
  const placed = loop.statuses['201'] ?? 0;
  const perSecond = (n: number) => (loop.durationS > 0 ? n / loop.durationS : 0);
  return {
    strategy: opts.strategy,
    title: opts.title,
    variant: 'capacity',
    instances: opts.instances,
    requests: loop.requests,
    placed,
    claimsPerSecond: perSecond(placed),
    answeredPerSecond: perSecond(loop.requests),
    latency: loop.latency,
    statuses: loop.statuses,
    gaveUp: loop.statuses['429'] ?? 0,
    errors: loop.errors + serverErrors(loop.statuses),
    counters: opts.counters,
    tally: opts.tally,
    correct: isCorrect(opts.tally),
    lateStarts: 0,
  };
}
