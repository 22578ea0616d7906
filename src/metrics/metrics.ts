import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Claim } from '../domain/claim.ts';
import type { RunReport } from '../reconcile/report.ts';
import { HotCounter, HotHistogram } from './hot.ts';

/**
 * Every metric one process exposes on /metrics, named here and nowhere else. Label values are bounded
 * sets (outcomes, route patterns, statuses, invariants): never a user id, a claim id or a raw path.
 * Each process has its own registry (tests run several instances in one process); Prometheus adds them up.
 */
export type CouponEvent = 'redeemed' | 'released' | 'expired';

export interface Metrics {
  readonly registry: Registry;
  /** One claim request answered: its outcome (the error code of the HTTP contract, or claimed/replayed). */
  claim(outcome: string, seconds: number): void;
  /** One HTTP request answered, by method, route pattern and status. */
  http(method: string, route: string, status: number, seconds: number): void;
  /** A request answered 503 because a dependency (redis, postgres) did not answer. */
  unavailable(dependency: string): void;
  /** Claims committed to Postgres: how long after Redis accepted them. */
  persisted(claims: readonly Claim[], now?: number): void;
  /** One reconciliation pass finished. */
  reconciled(report: RunReport): void;
  /** A coupon changed state after the grab (counted once, where the change happened). */
  coupon(event: CouponEvent, count?: number): void;
  /** One press of a gift pack answered: its outcome, and how long it took. */
  bundle(outcome: string, seconds: number): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RECONCILE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A labelled child per label set, found again without prom-client hashing the labels on every call. */
function cached<T>(make: (key: string) => T): (key: string) => T {
  const children = new Map<string, T>();
  return (key) => {
    let child = children.get(key);
    if (child === undefined) {
      child = make(key);
      children.set(key, child);
    }
    return child;
  };
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'flashsale_' });
  const registers = [registry];

  // The request path's four metrics: updated on every request, so kept cheap (see hot.ts).
  const claims = new HotCounter({
    name: 'flashsale_claims_total',
    help: 'Claim requests answered, by outcome (claimed, replayed, sold_out, already_claimed, ...)',
    labelNames: ['outcome'],
    registry,
  });
  const claimDuration = new HotHistogram({
    name: 'flashsale_claim_duration_seconds',
    help: 'Time to answer a claim request (authentication, Redis script, acknowledgement), by outcome',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registry,
  });
  const requests = new HotCounter({
    name: 'flashsale_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registry,
  });
  const requestDuration = new HotHistogram({
    name: 'flashsale_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registry,
  });
  const unavailable = new Counter({
    name: 'flashsale_dependency_unavailable_total',
    help: 'Requests answered 503 because a dependency did not answer (redis: the gate; postgres)',
    labelNames: ['dependency'],
    registers,
  });
  const persistLag = new Histogram({
    name: 'flashsale_persist_lag_seconds',
    help: 'From a claim accepted in Redis to its row committed in Postgres',
    buckets: LAG_BUCKETS,
    registers,
  });
  const reconcileRuns = new Counter({
    name: 'flashsale_reconcile_runs_total',
    help: 'Reconciliation passes, by trigger and whether every violation was repaired',
    labelNames: ['trigger', 'ok'],
    registers,
  });
  const reconcileDuration = new Histogram({
    name: 'flashsale_reconcile_duration_seconds',
    help: 'Duration of a reconciliation pass, by trigger',
    labelNames: ['trigger'],
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const violations = new Counter({
    name: 'flashsale_reconcile_violations_total',
    help: 'Invariant violations found by the reconciler, by invariant and whether the pass repaired them',
    labelNames: ['invariant', 'repaired'],
    registers,
  });
  const coupons = new Counter({
    name: 'flashsale_coupon_events_total',
    help: 'Coupons that changed state after the grab: redeemed, released (given back), expired',
    labelNames: ['event'],
    registers,
  });
  for (const event of ['redeemed', 'released', 'expired']) coupons.labels(event).inc(0);
  const bundles = new Counter({
    name: 'flashsale_bundle_claims_total',
    help: 'Gift-pack presses answered, by outcome (claimed, replayed, sold_out, already_claimed, ...)',
    labelNames: ['outcome'],
    registers,
  });
  const bundleDuration = new Histogram({
    name: 'flashsale_bundle_claim_duration_seconds',
    help: 'Time to answer a gift-pack press (every campaign reserved, decided and committed or given back)',
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const claimCount = cached((outcome) => claims.handle(outcome));
  const claimTime = cached((outcome) => claimDuration.handle(outcome));
  const requestCount = cached((key) => requests.handle(...key.split(' ')));
  const requestTime = cached((key) => requestDuration.handle(...key.split(' ')));

  return {
    registry,
    claim(outcome, seconds) {
      claimCount(outcome).inc();
      claimTime(outcome).observe(seconds);
    },
    http(method, route, status, seconds) {
      const m = METHODS.has(method) ? method : 'OTHER';
      requestCount(`${m} ${route} ${status}`).inc();
      requestTime(`${m} ${route}`).observe(seconds);
    },
    unavailable(dependency) {
      unavailable.labels(dependency).inc();
    },
    persisted(list, now = Date.now()) {
      for (const c of list) persistLag.observe(Math.max(0, now - c.claimedAt) / 1000);
    },
    reconciled(report) {
      reconcileRuns.labels(report.trigger, String(report.ok)).inc();
      reconcileDuration.labels(report.trigger).observe(report.durationMs / 1000);
      let expired = 0;
      for (const campaign of report.campaigns) {
        expired += campaign.repairs.expired;
        for (const v of campaign.violations) violations.labels(v.invariant, String(v.repaired)).inc();
      }
      if (expired > 0) coupons.labels('expired').inc(expired);
    },
    coupon(event, count = 1) {
      coupons.labels(event).inc(count);
    },
    bundle(outcome, seconds) {
      bundles.labels(outcome).inc();
      bundleDuration.observe(seconds);
    },
  };
}
