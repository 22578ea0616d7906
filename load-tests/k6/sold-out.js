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
import * as lib from './lib.js';

// ---------------------------------------------------------------------------------------------------
// Init context: runs once per VU (and once to read `options`). No HTTP here.
// ---------------------------------------------------------------------------------------------------

/** Coupons in the campaign; all of them are claimed in setup(). */
const STOCK = lib.envNumber('SOLDOUT_STOCK', 10, { min: 1, max: 1000, integer: true });
/** New users per second hitting the sold-out campaign, and for how long. */
const RATE = lib.envNumber('SOLDOUT_RATE', 1000, { min: 1, integer: true });
const DURATION = lib.envString('SOLDOUT_DURATION', '20s');
/** A 410 is one Redis round trip: its latency bounds are much tighter than the storm's. */
const P95_MS = lib.envNumber('SOLDOUT_P95_MS', 50, { min: 1 });
const P99_MS = lib.envNumber('SOLDOUT_P99_MS', 100, { min: 1 });
const SUMMARY_PATH = lib.envString('SUMMARY_PATH', 'load-tests/results/sold-out-summary.json');

/**
 * setup() expects 201 (emptying the stock), 410 (the probe) and 200 (admin reads); declaring them
 * keeps setup out of http_req_failed. The hammer's requests override this with "410 only" below, so
 * during the test anything but 410 counts as a failed request.
 */
http.setResponseCallback(http.expectedStatuses(200, 201, 410));
const ONLY_410 = http.expectedStatuses(410);
const EXPECTED = [410];

/**
 * Beside the thresholds of every claim test (lib.js claimThresholds; here anything but 410 during the
 * hammer is a failed request, every answer must be 410, sold-out rejections must be cheap, and teardown
 * checks the stock did not move: claimed = totalStock, remaining 0, claimed = persisted).
 */
const thresholds = lib.claimThresholds(
  { p95Ms: P95_MS, p99Ms: P99_MS },
  {
    // Not a single coupon beyond the stock (the STOCK coupons claimed in setup() are not counted here).
    coupons_claimed: ['count==0'],
    // The hammer did run and was answered "sold out".
    claims_sold_out: ['count>0'],
  },
);

// Open model: RATE new users per second whatever the response times; no sleep() in the iteration (the
// executor paces arrivals, a sleep would only tie up VUs).
export const options = lib.arrivalOptions(
  'hammer',
  { executor: 'constant-arrival-rate', rate: RATE, duration: DURATION },
  RATE,
  thresholds,
);

const claims = lib.createClaimMetrics();
const verification = lib.createVerificationMetrics();

/**
 * @typedef {object} SetupData
 * @property {string} campaignId
 */

// ---------------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------------

/** @returns {SetupData} */
export function setup() {
  lib.assertReady(lib.BASE_URLS);
  const campaign = lib.createCampaign({
    idPrefix: 'soldout',
    name: `k6 sold-out hammer ${new Date().toISOString()}`,
    totalStock: STOCK,
    perUserLimit: 1,
  });
  // Empty the stock: STOCK distinct users, one claim each, over the instances in turn.
  for (let n = 0; n < STOCK; n++) {
    const base = lib.BASE_URLS[n % lib.BASE_URLS.length] || lib.ADMIN_URL;
    const res = lib.send(
      lib.claimRequest(base, campaign.id, lib.mintUserJwt(`soldout-seed-${n}`), undefined),
    );
    if (res.status !== 201) {
      throw new Error(
        `emptying ${campaign.id}: claim ${n + 1} of ${STOCK} answered ${res.status} ${lib.bodySnippet(res)}`,
      );
    }
  }
  const probe = lib.send(
    lib.claimRequest(lib.ADMIN_URL, campaign.id, lib.mintUserJwt('soldout-probe'), undefined),
  );
  if (probe.status !== 410) {
    throw new Error(
      `${campaign.id} should be sold out, but a claim answered ${probe.status} ${lib.bodySnippet(probe)}`,
    );
  }
  const stats = lib.fetchStats(campaign.id);
  if (stats === null || stats.remaining !== 0 || stats.claimed !== STOCK) {
    throw new Error(`${campaign.id} is not sold out after setup: ${JSON.stringify(stats)}`);
  }
  lib.zeroCounters(lib.claimCounters(claims).concat([verification.violations]));
  lib.log.log(
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
  const base = lib.pickInstance(lib.BASE_URLS);
  const req = lib.claimRequest(base, data.campaignId, lib.mintUserJwt(`soldout-${i}`), undefined, ONLY_410);
  lib.recordClaim(lib.send(req), claims, base, EXPECTED);
}

/** @param {SetupData} data */
export function teardown(data) {
  lib.verifyAfterDrain(verification, data.campaignId, STOCK, lib.DRAIN_TIMEOUT_S, (s) => {
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
  return lib.claimSummary(data, {
    title: 'sold-out hammer (k6)',
    lines: [
      `  scenario      stock ${STOCK} claimed in setup, then ${RATE} new users/s for ${DURATION}`,
      `  arrivals      ${lib.countOf(data, 'iterations')} users (dropped ${lib.fmtCount(lib.droppedIterations(data))})`,
      `  outcomes      410 sold out ${lib.countOf(data, 'claims_sold_out')}` +
        ` | 201 beyond stock ${lib.countOf(data, 'coupons_claimed')}` +
        ` | 5xx ${lib.countOf(data, 'server_errors')}` +
        ` | other ${lib.fmtCount(
          (lib.stat(data, 'claims_unexpected', 'count') || 0) +
            (lib.stat(data, 'claims_replayed', 'count') || 0) +
            (lib.stat(data, 'claims_duplicate', 'count') || 0),
        )}`,
    ],
    notes: [],
    path: SUMMARY_PATH,
    meta: { script: 'sold-out', stock: STOCK, rate: RATE, duration: DURATION },
  });
}
