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
import * as lib from './lib.js';

// ---------------------------------------------------------------------------------------------------
// Init context: runs once per VU (and once to read `options`). No HTTP here.
// ---------------------------------------------------------------------------------------------------

const SCENARIO_FILE = lib.envString('SCENARIO_FILE', '../scenario.json');
const scenario = lib.parseScenario(readScenarioFile(SCENARIO_FILE), SCENARIO_FILE);

/** Latency bounds of a claim, in ms (whole test and per instance). */
const P95_MS = lib.envNumber('P95_MS', 250, { min: 1 });
const P99_MS = lib.envNumber('P99_MS', 500, { min: 1 });
const SUMMARY_PATH = lib.envString('SUMMARY_PATH', 'load-tests/results/storm-summary.json');

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
 * Beside the thresholds of every claim test (lib.js claimThresholds; checks here: status is one of
 * 200/201/409/410, 201s carry a coupon code, per-user bursts stay within limits; teardown: claimed <=
 * totalStock, remaining + claimed = totalStock, claimed = persisted). The oversell guard uses the
 * scenario's stock, and setup() creates the campaign with that same stock (STOCK overrides both;
 * teardown double-checks the server's totalStock against it).
 */
const thresholds = lib.claimThresholds(
  { p95Ms: P95_MS, p99Ms: P99_MS },
  {
    // No oversell as seen by clients: never more 201s than coupons.
    coupons_claimed: [`count<=${scenario.stock}`],
    // No user got more than perUserLimit coupons, no Idempotency-Key produced two claims.
    user_invariant_violations: ['count==0'],
  },
);

// Open model: k6 starts iterations at the scheduled rate whatever the response times, like real users
// who do not wait for each other. (A closed model, fixed VUs looping, would slow its own arrivals down
// exactly when the service struggles and hide the problem.)
export const options = lib.arrivalOptions(
  'storm',
  {
    executor: 'ramping-arrival-rate',
    startRate: scenario.rampSeconds > 0 ? 0 : scenario.peakRate,
    stages: stages,
  },
  scenario.peakRate,
  thresholds,
);

const claims = lib.createClaimMetrics();
const verification = lib.createVerificationMetrics();
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
  lib.assertReady(lib.BASE_URLS);
  if (Math.abs(PLANNED_ARRIVALS - scenario.users) > Math.max(1, scenario.users * 0.01)) {
    lib.log.warn(
      `scenario says ${scenario.users} users but the schedule makes ${PLANNED_ARRIVALS} arrivals ` +
        '(one user each): keep users = peakRate * (rampSeconds / 2 + holdSeconds)',
    );
  }
  const campaign = lib.createCampaign({
    idPrefix: 'storm',
    name: `k6 storm ${new Date().toISOString()}`,
    totalStock: scenario.stock,
    perUserLimit: scenario.perUserLimit,
  });
  if (campaign.totalStock !== scenario.stock) {
    throw new Error(`campaign created with totalStock ${campaign.totalStock}, expected ${scenario.stock}`);
  }
  lib.zeroCounters(lib.claimCounters(claims).concat([userViolations, verification.violations]));
  lib.log.log(
    `campaign ${campaign.id}: stock ${campaign.totalStock}, per-user limit ${campaign.perUserLimit}; ` +
      `${PLANNED_ARRIVALS} users over ${scenario.rampSeconds + scenario.holdSeconds} s on ${lib.BASE_URLS.length} instance(s)`,
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
  const token = lib.mintUserJwt(`storm-${i}`);

  if (spread(i, 0.6180339887498949) >= scenario.impatientShare) {
    const base = lib.pickInstance(lib.BASE_URLS);
    lib.recordClaim(
      lib.send(lib.claimRequest(base, data.campaignId, token, undefined)),
      claims,
      base,
      EXPECTED,
    );
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
    const base = lib.pickInstance(lib.BASE_URLS, a);
    bases.push(base);
    requests.push(lib.claimRequest(base, data.campaignId, token, key));
  }
  const responses = http.batch(requests);

  let created = 0;
  /** @type {Record<string, true>} */
  const claimIds = {};
  for (let a = 0; a < responses.length; a++) {
    const res = responses[a];
    const base = bases[a];
    if (res === undefined || base === undefined) continue;
    const claim = lib.recordClaim(res, claims, base, EXPECTED);
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
    lib.log.error(`user storm-${i}: ${created} x 201 and ${distinct} distinct claim(s), limit ${limit}`);
  }
}

/** @param {SetupData} data */
export function teardown(data) {
  lib.verifyAfterDrain(verification, data.campaignId, scenario.stock, lib.DRAIN_TIMEOUT_S);
}

// ---------------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------------

/**
 * @param {import('./lib.js').SummaryData} data
 * @returns {Record<string, string>}
 */
export function handleSummary(data) {
  // testRunDurationMs includes setup and the drain wait, so rates use the scheduled window instead.
  const scheduleSeconds = scenario.rampSeconds + scenario.holdSeconds;
  const requests = lib.stat(data, 'claim_latency', 'count');
  const rate = requests !== undefined ? `, about ${Math.round(requests / scheduleSeconds)} req/s` : '';
  /** @type {string[]} */
  const notes = [];
  const seen = lib.stat(data, 'coupons_claimed', 'count');
  const counted = lib.stat(data, 'final_claimed', 'value');
  if (seen !== undefined && counted !== undefined && seen !== counted) {
    notes.push(
      `  note          clients saw ${seen} x 201 but Redis counts ${counted} claims ` +
        '(requests that timed out client-side can explain a difference)',
    );
  }
  return lib.claimSummary(data, {
    title: 'flash-sale storm (k6)',
    lines: [
      `  scenario      stock ${scenario.stock}, per-user limit ${scenario.perUserLimit}, ` +
        `0 -> ${scenario.peakRate} users/s over ${scenario.rampSeconds} s, hold ${scenario.holdSeconds} s, ` +
        `${Math.round(scenario.impatientShare * 100)}% impatient (${1 + scenario.impatientRetries} presses, ` +
        `${Math.round(scenario.impatientWithKeyShare * 100)}% of them with an Idempotency-Key)`,
      `  arrivals      ${lib.countOf(data, 'iterations')} users (dropped ${lib.fmtCount(lib.droppedIterations(data))}), ` +
        `${lib.fmtCount(requests)} claim requests over the ${scheduleSeconds} s schedule${rate}`,
      `  outcomes      201 claimed ${lib.countOf(data, 'coupons_claimed')}` +
        ` | 200 replayed ${lib.countOf(data, 'claims_replayed')}` +
        ` | 409 duplicate ${lib.countOf(data, 'claims_duplicate')}` +
        ` | 410 sold out ${lib.countOf(data, 'claims_sold_out')}` +
        ` | 5xx ${lib.countOf(data, 'server_errors')}` +
        ` | other ${lib.countOf(data, 'claims_unexpected')}`,
    ],
    notes: notes,
    path: SUMMARY_PATH,
    meta: { script: 'storm', scenario: scenario },
  });
}
