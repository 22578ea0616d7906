/**
 * The sold-out hammer: once a campaign is sold out, every further claim must be a cheap 410.
 *
 *   k6 run load-tests/k6/sold-out.js
 *   k6 run -e BASE_URLS=http://lb:8080 -e SOLDOUT_RATE=2000 load-tests/k6/sold-out.js
 *
 * setup()      creates a campaign with a small stock (SOLDOUT_STOCK, default 10), claims it empty with
 *              that many distinct users, and confirms one more claim gets 410 and remaining is 0.
 * iterations   a constant arrival rate of new, distinct users claiming the sold-out campaign, spread
 *              round-robin over BASE_URLS. Every answer must be 410 sold_out, fast.
 * teardown()   waits for the drain and verifies the stock did not move: claimed = totalStock =
 *              persisted, remaining 0.
 * handleSummary  JSON to load-tests/results/sold-out-summary.json (SUMMARY_PATH), text on stdout.
 *
 * This measures the rejection path that dominates a real flash sale: after the first second almost
 * every request is for a coupon that no longer exists, and it must not cost more than the claims did.
 */
import exec from 'k6/execution';
import http from 'k6/http';
import {
  ADMIN_URL,
  assertReady,
  BASE_URLS,
  bodySnippet,
  claimRequest,
  createCampaign,
  createClaimMetrics,
  createVerificationMetrics,
  envNumber,
  envString,
  fetchStats,
  finalStateLine,
  fmtCount,
  fmtMs,
  log,
  mintUserJwt,
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

/** Coupons in the campaign; all of them are claimed in setup(). */
const STOCK = envNumber('SOLDOUT_STOCK', 10, { min: 1, max: 1000, integer: true });
/** New users per second hitting the sold-out campaign, and for how long. */
const RATE = envNumber('SOLDOUT_RATE', 1000, { min: 1, integer: true });
const DURATION = envString('SOLDOUT_DURATION', '20s');
/** A 410 is one Redis round trip: its latency bounds are much tighter than the storm's. */
const P95_MS = envNumber('SOLDOUT_P95_MS', 50, { min: 1 });
const P99_MS = envNumber('SOLDOUT_P99_MS', 100, { min: 1 });
const DRAIN_TIMEOUT_S = envNumber('DRAIN_TIMEOUT_S', 60, { min: 0, integer: true });
const SUMMARY_PATH = envString('SUMMARY_PATH', 'load-tests/results/sold-out-summary.json');
const PRE_VUS = envNumber('PRE_VUS', Math.max(10, Math.ceil(RATE / 10)), { min: 1, integer: true });
const MAX_VUS = envNumber('MAX_VUS', Math.max(PRE_VUS, RATE), { min: 1, integer: true });

/**
 * setup() expects 201 (emptying the stock), 410 (the probe) and 200 (admin reads); declaring them
 * keeps setup out of http_req_failed. The hammer's requests override this with "410 only" below, so
 * during the test anything but 410 counts as a failed request.
 */
http.setResponseCallback(http.expectedStatuses(200, 201, 410));
const ONLY_410 = http.expectedStatuses(410);
const EXPECTED = [410];

/** @type {Record<string, import('k6/options').Threshold[]>} */
const thresholds = {
  // Anything but 410 during the hammer is a failed request.
  http_req_failed: ['rate<0.01'],
  // Every answer is 410.
  checks: ['rate>0.99'],
  // Not a single server error.
  server_errors: ['count==0'],
  // Not a single coupon beyond the stock (the STOCK coupons claimed in setup() are not counted here).
  coupons_claimed: ['count==0'],
  // The hammer did run and was answered "sold out".
  claims_sold_out: ['count>0'],
  // Sold-out rejections must be cheap.
  claim_latency: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
  // teardown: stock unchanged (claimed = totalStock, remaining 0) and claimed = persisted.
  invariant_violations: ['count==0'],
};
for (const base of BASE_URLS) {
  thresholds[`http_reqs{instance:${base}}`] = ['count>0'];
  thresholds[`claim_latency{instance:${base}}`] = [`p(95)<${P95_MS}`];
}

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    hammer: {
      // Open model: RATE new users per second whatever the response times; no sleep() in the
      // iteration (the executor paces arrivals, a sleep would only tie up VUs).
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
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

/**
 * @typedef {object} SetupData
 * @property {string} campaignId
 */

// ---------------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------------

/** @returns {SetupData} */
export function setup() {
  assertReady(BASE_URLS);
  const campaign = createCampaign({
    idPrefix: 'soldout',
    name: `k6 sold-out hammer ${new Date().toISOString()}`,
    totalStock: STOCK,
    perUserLimit: 1,
  });
  // Empty the stock: STOCK distinct users, one claim each, over the instances in turn.
  for (let n = 0; n < STOCK; n++) {
    const base = BASE_URLS[n % BASE_URLS.length] || ADMIN_URL;
    const res = send(claimRequest(base, campaign.id, mintUserJwt(`soldout-seed-${n}`), undefined));
    if (res.status !== 201) {
      throw new Error(
        `emptying ${campaign.id}: claim ${n + 1} of ${STOCK} answered ${res.status} ${bodySnippet(res)}`,
      );
    }
  }
  const probe = send(claimRequest(ADMIN_URL, campaign.id, mintUserJwt('soldout-probe'), undefined));
  if (probe.status !== 410) {
    throw new Error(
      `${campaign.id} should be sold out, but a claim answered ${probe.status} ${bodySnippet(probe)}`,
    );
  }
  const stats = fetchStats(campaign.id);
  if (stats === null || stats.remaining !== 0 || stats.claimed !== STOCK) {
    throw new Error(`${campaign.id} is not sold out after setup: ${JSON.stringify(stats)}`);
  }
  zeroCounters([
    claims.claimed,
    claims.replayed,
    claims.duplicate,
    claims.soldOut,
    claims.serverErrors,
    claims.unexpected,
    verification.violations,
  ]);
  log.log(
    `campaign ${campaign.id}: ${STOCK} coupons claimed in setup; hammering at ${RATE}/s for ${DURATION}`,
  );
  return { campaignId: campaign.id };
}

/**
 * One new user claiming the sold-out campaign.
 * @param {SetupData} data
 */
export default function (data) {
  const i = exec.scenario.iterationInTest;
  const base = pickInstance(BASE_URLS);
  const req = claimRequest(base, data.campaignId, mintUserJwt(`soldout-${i}`), undefined, ONLY_410);
  recordClaim(send(req), claims, base, EXPECTED);
}

/** @param {SetupData} data */
export function teardown(data) {
  verifyAfterDrain(verification, data.campaignId, STOCK, DRAIN_TIMEOUT_S, (s) => {
    /** @type {string[]} */
    const out = [];
    if (s.claimed !== STOCK) out.push(`claimed moved from ${STOCK} to ${s.claimed} after the sell-out`);
    if (s.remaining !== 0) out.push(`remaining is ${s.remaining}, expected 0`);
    return out;
  });
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
  const dropped = stat(data, 'dropped_iterations', 'count') || 0;
  const lines = [
    '',
    'sold-out hammer (k6)',
    `  target        ${BASE_URLS.length} instance(s): ${BASE_URLS.join(', ')}`,
    `  scenario      stock ${STOCK} claimed in setup, then ${RATE} new users/s for ${DURATION}`,
    `  arrivals      ${fmtCount(stat(data, 'iterations', 'count'))} users (dropped ${fmtCount(dropped)})`,
    `  outcomes      410 sold out ${fmtCount(stat(data, 'claims_sold_out', 'count'))}` +
      ` | 201 beyond stock ${fmtCount(stat(data, 'coupons_claimed', 'count'))}` +
      ` | 5xx ${fmtCount(stat(data, 'server_errors', 'count'))}` +
      ` | other ${fmtCount(
        (stat(data, 'claims_unexpected', 'count') || 0) +
          (stat(data, 'claims_replayed', 'count') || 0) +
          (stat(data, 'claims_duplicate', 'count') || 0),
      )}`,
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
  if (dropped > 0) {
    lines.push(`  note          k6 could not start ${dropped} arrivals on time: raise PRE_VUS/MAX_VUS`);
  }
  lines.push('  thresholds', ...report.lines);
  lines.push(`  result        ${report.passed ? 'PASS' : 'FAIL'}`, `  summary JSON  ${SUMMARY_PATH}`, '');
  return summaryOutputs(data, SUMMARY_PATH, lines.join('\n'), {
    script: 'sold-out',
    stock: STOCK,
    rate: RATE,
    duration: DURATION,
    baseUrls: BASE_URLS,
    thresholdsPassed: report.passed,
  });
}
