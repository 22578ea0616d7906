/**
 * The flash-sale storm: a campaign opens and users rush to claim its coupons.
 *
 *   k6 run load-tests/k6/storm.js                       (five local instances on ports 3001-3005)
 *   k6 run -e BASE_URLS=http://lb:8080 load-tests/k6/storm.js
 *
 * setup()      checks every instance is ready and creates a fresh campaign (storm-<timestamp>) through
 *              the admin API, active now, with the scenario's stock.
 * iterations   one arrival = one new user (the user id comes from the iteration number, so every
 *              arrival is a distinct user). Arrivals ramp from 0 to the peak rate, then hold there.
 *              Most users press "claim" once; an impatient share presses several times at once, some
 *              of them with an Idempotency-Key (their extra presses must replay the same claim).
 *              Iterations are spread round-robin over BASE_URLS.
 * teardown()   waits (bounded) until every acknowledged claim reached Postgres, then verifies the
 *              invariants: claimed <= totalStock, remaining + claimed = totalStock, claimed = persisted.
 * handleSummary  JSON to load-tests/results/storm-summary.json (SUMMARY_PATH), a short text on stdout.
 *
 * Parameters come from load-tests/scenario.json (shared with `npm run load`); each can be overridden
 * with an env variable (see lib.js parseScenario and load-tests/README.md).
 */

import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import {
  assertReady,
  BASE_URLS,
  claimRequest,
  createCampaign,
  createClaimMetrics,
  createVerificationMetrics,
  envNumber,
  envString,
  finalStateLine,
  fmtCount,
  fmtMs,
  log,
  mintUserJwt,
  parseScenario,
  pickInstance,
  recordClaim,
  send,
  stat,
  summaryOutputs,
  thresholdReport,
  verifyAfterDrain,
  zeroCounters,
} from './lib.js';

// ---------------------------------------------------------------------------------------------------
// Init context: runs once per VU (and once to read `options`). No HTTP here.
// ---------------------------------------------------------------------------------------------------

const SCENARIO_FILE = envString('SCENARIO_FILE', '../scenario.json');
const scenario = parseScenario(readScenarioFile(SCENARIO_FILE), SCENARIO_FILE);

/** Latency bounds of a claim, in ms (whole test and per instance). */
const P95_MS = envNumber('P95_MS', 250, { min: 1 });
const P99_MS = envNumber('P99_MS', 500, { min: 1 });
/** How long teardown waits for the persist queue to drain before judging. */
const DRAIN_TIMEOUT_S = envNumber('DRAIN_TIMEOUT_S', 60, { min: 0, integer: true });
const SUMMARY_PATH = envString('SUMMARY_PATH', 'load-tests/results/storm-summary.json');

// An arrival-rate executor needs enough idle VUs to start each iteration on time. With claims answered
// in a few ms, peakRate/10 VUs cover up to 100 ms per iteration; maxVUs lets k6 add more if the
// service slows down (a shortage shows as dropped_iterations in the summary).
const PRE_VUS = envNumber('PRE_VUS', Math.max(10, Math.ceil(scenario.peakRate / 10)), {
  min: 1,
  integer: true,
});
const MAX_VUS = envNumber('MAX_VUS', Math.max(PRE_VUS, scenario.peakRate), { min: 1, integer: true });

/** The statuses a storm may answer; anything else is a failed check. */
const EXPECTED = [200, 201, 409, 410];

/**
 * k6 counts every response with status >= 400 in http_req_failed by default. In a flash sale 409
 * (already claimed) and 410 (sold out) are the normal answers of most requests, so they are declared
 * expected: http_req_failed then measures real failures (5xx, 4xx we did not expect, timeouts).
 */
http.setResponseCallback(http.expectedStatuses(200, 201, 409, 410));

/**
 * @param {string} path
 * @returns {string}
 */
function readScenarioFile(path) {
  try {
    // open() is relative to this script's directory and only allowed in the init context.
    return open(path);
  } catch (e) {
    throw new Error(
      `cannot read the scenario file "${path}" (relative to load-tests/k6/); set SCENARIO_FILE: ${String(e)}`,
    );
  }
}

/** @type {import('k6/options').Stage[]} */
const stages = [];
if (scenario.rampSeconds > 0) {
  stages.push({ target: scenario.peakRate, duration: `${scenario.rampSeconds}s` });
}
if (scenario.holdSeconds > 0) {
  stages.push({ target: scenario.peakRate, duration: `${scenario.holdSeconds}s` });
}
if (stages.length === 0) throw new Error('rampSeconds and holdSeconds are both 0: nothing to run');

/** Arrivals the schedule produces: the ramp is linear from 0, then peakRate per second. */
const PLANNED_ARRIVALS = Math.round(scenario.peakRate * (scenario.rampSeconds / 2 + scenario.holdSeconds));

/**
 * Thresholds are fixed at init, before setup() runs: the oversell guard uses the scenario's stock,
 * and setup() creates the campaign with that same stock (STOCK overrides both; teardown double-checks
 * the server's totalStock against it).
 * @type {Record<string, import('k6/options').Threshold[]>}
 */
const thresholds = {
  // Real failures (5xx, unexpected 4xx, timeouts) stay under 1% of requests.
  http_req_failed: ['rate<0.01'],
  // "Expected outcomes are never 500": not a single server error.
  server_errors: ['count==0'],
  // Status is one of 200/201/409/410, 201s carry a coupon code, per-user bursts stay within limits.
  checks: ['rate>0.99'],
  // Claims must stay fast under the storm.
  claim_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
  // No oversell as seen by clients: never more 201s than coupons.
  coupons_claimed: [`count<=${scenario.stock}`],
  // No user got more than perUserLimit coupons, no Idempotency-Key produced two claims.
  user_invariant_violations: ['count==0'],
  // teardown: claimed <= totalStock, remaining + claimed = totalStock, claimed = persisted after drain.
  invariant_violations: ['count==0'],
};
for (const base of BASE_URLS) {
  // Per instance: every instance took traffic and none is slow on its own (also shows up per
  // instance in the summary, which k6 only does for metrics that have a threshold).
  thresholds[`http_reqs{instance:${base}}`] = ['count>0'];
  thresholds[`claim_latency{instance:${base}}`] = [`p(95)<${P95_MS}`];
}

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    storm: {
      // Open model: k6 starts iterations at the scheduled rate whatever the response times, like
      // real users who do not wait for each other. (A closed model, fixed VUs looping, would slow its
      // own arrivals down exactly when the service struggles and hide the problem.)
      executor: 'ramping-arrival-rate',
      startRate: scenario.rampSeconds > 0 ? 0 : scenario.peakRate,
      timeUnit: '1s',
      stages: stages,
      preAllocatedVUs: PRE_VUS,
      maxVUs: MAX_VUS,
      gracefulStop: '15s',
    },
  },
  thresholds: thresholds,
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
  setupTimeout: '60s',
  teardownTimeout: `${DRAIN_TIMEOUT_S + 60}s`,
};

const claims = createClaimMetrics();
const verification = createVerificationMetrics();
/** An impatient user got more coupons than allowed, or one Idempotency-Key yielded different claims. */
const userViolations = new Counter('user_invariant_violations');

/**
 * @typedef {object} SetupData
 * @property {string} campaignId
 * @property {number} totalStock
 * @property {number} perUserLimit
 */

// ---------------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------------

/** @returns {SetupData} */
export function setup() {
  assertReady(BASE_URLS);
  if (Math.abs(PLANNED_ARRIVALS - scenario.users) > Math.max(1, scenario.users * 0.01)) {
    log.warn(
      `scenario says ${scenario.users} users but the schedule makes ${PLANNED_ARRIVALS} arrivals ` +
        '(one user each): keep users = peakRate * (rampSeconds / 2 + holdSeconds)',
    );
  }
  const campaign = createCampaign({
    idPrefix: 'storm',
    name: `k6 storm ${new Date().toISOString()}`,
    totalStock: scenario.stock,
    perUserLimit: scenario.perUserLimit,
  });
  if (campaign.totalStock !== scenario.stock) {
    throw new Error(`campaign created with totalStock ${campaign.totalStock}, expected ${scenario.stock}`);
  }
  zeroCounters([
    claims.claimed,
    claims.replayed,
    claims.duplicate,
    claims.soldOut,
    claims.serverErrors,
    claims.unexpected,
    userViolations,
    verification.violations,
  ]);
  log.log(
    `campaign ${campaign.id}: stock ${campaign.totalStock}, per-user limit ${campaign.perUserLimit}; ` +
      `${PLANNED_ARRIVALS} users over ${scenario.rampSeconds + scenario.holdSeconds} s on ${BASE_URLS.length} instance(s)`,
  );
  return { campaignId: campaign.id, totalStock: campaign.totalStock, perUserLimit: campaign.perUserLimit };
}

/**
 * Fractional part of i times an irrational number: an evenly spread, deterministic sequence in [0, 1),
 * so "impatient" users are interleaved through the whole run and a rerun picks the same ones.
 * @param {number} i
 * @param {number} factor
 * @returns {number}
 */
function spread(i, factor) {
  const x = i * factor;
  return x - Math.floor(x);
}

/**
 * One arrival. No sleep(): with an arrival-rate executor the schedule decides when users come; a
 * sleep would only keep the VU busy, and k6 would need more VUs for the same rate.
 * @param {SetupData} data
 */
export default function (data) {
  const i = exec.scenario.iterationInTest;
  const token = mintUserJwt(`storm-${i}`);

  if (spread(i, 0.6180339887498949) >= scenario.impatientShare) {
    const base = pickInstance(BASE_URLS);
    recordClaim(send(claimRequest(base, data.campaignId, token, undefined)), claims, base, EXPECTED);
    return;
  }

  // An impatient user: 1 + impatientRetries presses sent at once (http.batch runs them in parallel),
  // each on the next instance, as a load balancer would spread them. Some carry an Idempotency-Key:
  // then exactly one claim may exist and every 200/201 must return it.
  const withKey = spread(i, 0.7548776662466927) < scenario.impatientWithKeyShare;
  const key = withKey ? `key-${data.campaignId}-${i}` : undefined;
  /** @type {string[]} */
  const bases = [];
  /** @type {import('k6/http').ObjectBatchRequest[]} */
  const requests = [];
  for (let a = 0; a <= scenario.impatientRetries; a++) {
    const base = pickInstance(BASE_URLS, a);
    bases.push(base);
    requests.push(claimRequest(base, data.campaignId, token, key));
  }
  const responses = http.batch(requests);

  let created = 0;
  /** @type {Record<string, true>} */
  const claimIds = {};
  for (let a = 0; a < responses.length; a++) {
    const res = responses[a];
    const base = bases[a];
    if (res === undefined || base === undefined) continue;
    const claim = recordClaim(res, claims, base, EXPECTED);
    if (res.status === 201) created++;
    if (claim !== null) claimIds[claim.id] = true;
  }
  const distinct = Object.keys(claimIds).length;
  const limit = withKey ? 1 : data.perUserLimit;
  const ok = check(null, {
    'user: at most perUserLimit coupons, one claim per Idempotency-Key': () =>
      created <= limit && distinct <= limit,
  });
  if (!ok) {
    userViolations.add(1);
    log.error(`user storm-${i}: ${created} x 201 and ${distinct} distinct claim(s), limit ${limit}`);
  }
}

/** @param {SetupData} data */
export function teardown(data) {
  verifyAfterDrain(verification, data.campaignId, scenario.stock, DRAIN_TIMEOUT_S);
}

// ---------------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------------

/**
 * @param {import('./lib.js').SummaryData} data
 * @returns {Record<string, string>}
 */
export function handleSummary(data) {
  const report = thresholdReport(data);
  // testRunDurationMs includes setup and the drain wait, so rates use the scheduled window instead.
  const scheduleSeconds = scenario.rampSeconds + scenario.holdSeconds;
  const requests = stat(data, 'claim_latency', 'count');
  const rate = requests !== undefined ? `, about ${Math.round(requests / scheduleSeconds)} req/s` : '';
  const dropped = stat(data, 'dropped_iterations', 'count') || 0;
  const lines = [
    '',
    'flash-sale storm (k6)',
    `  target        ${BASE_URLS.length} instance(s): ${BASE_URLS.join(', ')}`,
    `  scenario      stock ${scenario.stock}, per-user limit ${scenario.perUserLimit}, ` +
      `0 -> ${scenario.peakRate} users/s over ${scenario.rampSeconds} s, hold ${scenario.holdSeconds} s, ` +
      `${Math.round(scenario.impatientShare * 100)}% impatient (${1 + scenario.impatientRetries} presses, ` +
      `${Math.round(scenario.impatientWithKeyShare * 100)}% of them with an Idempotency-Key)`,
    `  arrivals      ${fmtCount(stat(data, 'iterations', 'count'))} users (dropped ${fmtCount(dropped)}), ` +
      `${fmtCount(requests)} claim requests over the ${scheduleSeconds} s schedule${rate}`,
    `  outcomes      201 claimed ${fmtCount(stat(data, 'coupons_claimed', 'count'))}` +
      ` | 200 replayed ${fmtCount(stat(data, 'claims_replayed', 'count'))}` +
      ` | 409 duplicate ${fmtCount(stat(data, 'claims_duplicate', 'count'))}` +
      ` | 410 sold out ${fmtCount(stat(data, 'claims_sold_out', 'count'))}` +
      ` | 5xx ${fmtCount(stat(data, 'server_errors', 'count'))}` +
      ` | other ${fmtCount(stat(data, 'claims_unexpected', 'count'))}`,
    `  latency       avg ${fmtMs(stat(data, 'claim_latency', 'avg'))}, med ${fmtMs(stat(data, 'claim_latency', 'med'))}, ` +
      `p95 ${fmtMs(stat(data, 'claim_latency', 'p(95)'))}, p99 ${fmtMs(stat(data, 'claim_latency', 'p(99)'))}, ` +
      `max ${fmtMs(stat(data, 'claim_latency', 'max'))}`,
  ];
  for (const base of BASE_URLS) {
    lines.push(
      `  instance      ${base}  ${fmtCount(stat(data, `http_reqs{instance:${base}}`, 'count'))} req, ` +
        `p95 ${fmtMs(stat(data, `claim_latency{instance:${base}}`, 'p(95)'))}`,
    );
  }
  lines.push(`  after drain   ${finalStateLine(data)}`);
  const seen = stat(data, 'coupons_claimed', 'count');
  const counted = stat(data, 'final_claimed', 'value');
  if (seen !== undefined && counted !== undefined && seen !== counted) {
    lines.push(
      `  note          clients saw ${seen} x 201 but Redis counts ${counted} claims ` +
        '(requests that timed out client-side can explain a difference)',
    );
  }
  if (dropped > 0) {
    lines.push(`  note          k6 could not start ${dropped} arrivals on time: raise PRE_VUS/MAX_VUS`);
  }
  lines.push('  thresholds', ...report.lines);
  lines.push(`  result        ${report.passed ? 'PASS' : 'FAIL'}`, `  summary JSON  ${SUMMARY_PATH}`, '');
  return summaryOutputs(data, SUMMARY_PATH, lines.join('\n'), {
    script: 'storm',
    scenario: scenario,
    baseUrls: BASE_URLS,
    thresholdsPassed: report.passed,
  });
}
