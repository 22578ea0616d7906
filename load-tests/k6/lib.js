/**
 * Helpers shared by the k6 scripts of this folder (storm.js, sold-out.js).
 *
 * Plain JavaScript modules that k6 v0.48 and later run as they are: no TypeScript syntax, no remote
 * imports, no optional chaining or `??`, only k6's built-in modules. Types come from JSDoc and are
 * checked with `npx tsc -p load-tests/k6` against @types/k6.
 *
 * k6 runs a script's module code (its "init context") once per VU, plus once more to read `options`.
 * Everything at the top level here is therefore cheap and makes no HTTP call: k6 forbids HTTP in the
 * init context. HTTP happens in setup(), the iterations and teardown().
 */
import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Gauge, Trend } from 'k6/metrics';

/**
 * k6's console. @types/k6 does not declare `console` (TypeScript normally gets it from the DOM library,
 * which does not describe k6 and is left out on purpose), so it is reached through globalThis with the
 * small type below. Same object, same output as calling console.log/warn/error directly.
 * @type {{ log: (...args: unknown[]) => void, warn: (...args: unknown[]) => void, error: (...args: unknown[]) => void }}
 */
export const log = /** @type {{ console: typeof log }} */ (/** @type {unknown} */ (globalThis)).console;

// ---------------------------------------------------------------------------------------------------
// Environment (`k6 run -e NAME=value`, or the process environment)
// ---------------------------------------------------------------------------------------------------

/**
 * A string setting; unset and empty both mean "use the default". Not trimmed (secrets are taken as given).
 * @param {string} name
 * @param {string} fallback
 * @returns {string}
 */
export function envString(name, fallback) {
  const raw = __ENV[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/**
 * A numeric setting. A value that is not a finite number stops the script at init with a clear message
 * instead of silently running a different test.
 * @param {string} name
 * @param {number} fallback
 * @param {{ min?: number, max?: number, integer?: boolean }} [rules]
 * @returns {number}
 */
export function envNumber(name, fallback, rules) {
  const raw = __ENV[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return validNumber(name, Number(raw), rules);
}

/**
 * @param {string} name
 * @param {number} value
 * @param {{ min?: number, max?: number, integer?: boolean }} [rules]
 * @returns {number}
 */
function validNumber(name, value, rules) {
  const r = rules || {};
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${String(value)}`);
  if (r.integer && !Number.isInteger(value)) throw new Error(`${name} must be an integer, got ${value}`);
  if (r.min !== undefined && value < r.min) throw new Error(`${name} must be >= ${r.min}, got ${value}`);
  if (r.max !== undefined && value > r.max) throw new Error(`${name} must be <= ${r.max}, got ${value}`);
  return value;
}

/** The five local API instances that `npm run fleet` starts by default. */
export const DEFAULT_BASE_URLS = [3001, 3002, 3003, 3004, 3005].map((p) => `http://127.0.0.1:${p}`).join(',');

/**
 * Parses a comma-separated list of base URLs ("http://host:port", no path), dropping trailing slashes.
 * @param {string} raw
 * @returns {[string, ...string[]]}
 */
export function parseBaseUrls(raw) {
  const urls = raw
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s.length > 0);
  for (const url of urls) {
    if (!/^https?:\/\/[^\s/]+$/.test(url)) {
      throw new Error(`BASE_URLS: "${url}" is not a base URL like http://127.0.0.1:3001`);
    }
  }
  const first = urls[0];
  if (first === undefined) throw new Error('BASE_URLS is empty');
  return [first, ...urls.slice(1)];
}

/** The API instances claims are spread over (env BASE_URLS, comma list). */
export const BASE_URLS = parseBaseUrls(envString('BASE_URLS', DEFAULT_BASE_URLS));
/** Where setup()/teardown() send admin calls (env ADMIN_URL; default: the first of BASE_URLS). */
export const ADMIN_URL = parseBaseUrls(envString('ADMIN_URL', BASE_URLS[0]))[0];
export const ADMIN_TOKEN = envString('ADMIN_TOKEN', 'dev-admin-token');
export const JWT_SECRET = envString('JWT_SECRET', 'dev-jwt-secret-change-me');
/** Per-request timeout of claims: a request stuck longer than this is a failure, not a slow success. */
export const REQUEST_TIMEOUT = envString('REQUEST_TIMEOUT', '10s');
/** How long teardown waits for the persist queue to drain before judging. */
export const DRAIN_TIMEOUT_S = envNumber('DRAIN_TIMEOUT_S', 60, { min: 0, integer: true });

/**
 * The instance for this iteration: iterations are spread round-robin over BASE_URLS, so every
 * instance gets the same share whatever the number of VUs. `offset` moves to the next instances
 * (an impatient user's extra presses land on other instances, like behind a load balancer).
 * @param {readonly string[]} bases
 * @param {number} [offset]
 * @returns {string}
 */
export function pickInstance(bases, offset) {
  const i = (exec.scenario.iterationInTest + (offset || 0)) % bases.length;
  const base = bases[i];
  if (base === undefined) throw new Error('no base URL to pick from');
  return base;
}

// ---------------------------------------------------------------------------------------------------
// Test options: one open-model scenario and the thresholds every claim test is judged by
// ---------------------------------------------------------------------------------------------------

/**
 * An arrival-rate schedule without the keys arrivalOptions() fills in.
 * @typedef {Omit<import('k6/options').ConstantArrivalRateScenario, 'timeUnit' | 'preAllocatedVUs' | 'maxVUs' | 'gracefulStop'>
 *   | Omit<import('k6/options').RampingArrivalRateScenario, 'timeUnit' | 'preAllocatedVUs' | 'maxVUs' | 'gracefulStop'>} ArrivalSchedule
 */

/**
 * The options of a test made of one arrival-rate scenario (rates per second). An arrival-rate executor
 * needs enough idle VUs to start each iteration on time: with claims answered in a few ms, peakRate/10
 * VUs (env PRE_VUS) cover up to 100 ms per iteration; maxVUs (env MAX_VUS) lets k6 add more if the
 * service slows down (a shortage shows as dropped_iterations in the summary). teardown() may wait
 * DRAIN_TIMEOUT_S for the drain, so its timeout is a minute longer.
 * @param {string} name  the scenario's name
 * @param {ArrivalSchedule} schedule
 * @param {number} peakRate  the highest arrival rate of the schedule, per second
 * @param {Record<string, import('k6/options').Threshold[]>} thresholds
 * @returns {import('k6/options').Options}
 */
export function arrivalOptions(name, schedule, peakRate, thresholds) {
  const preAllocatedVUs = envNumber('PRE_VUS', Math.max(10, Math.ceil(peakRate / 10)), {
    min: 1,
    integer: true,
  });
  const maxVUs = envNumber('MAX_VUS', Math.max(preAllocatedVUs, peakRate), { min: 1, integer: true });
  /** @type {Record<string, import('k6/options').Scenario>} */
  const scenarios = {};
  scenarios[name] = Object.assign({}, schedule, {
    timeUnit: '1s',
    preAllocatedVUs: preAllocatedVUs,
    maxVUs: maxVUs,
    gracefulStop: '15s',
  });
  return {
    scenarios: scenarios,
    thresholds: thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
    setupTimeout: '60s',
    teardownTimeout: `${DRAIN_TIMEOUT_S + 60}s`,
  };
}

/**
 * The thresholds of every claim test, plus the script's own (`own`, which may also tighten these).
 * Thresholds are fixed at init, before setup() runs.
 * @param {{ p95Ms: number, p99Ms: number }} latency  bounds of a claim, in ms (whole test and per instance)
 * @param {Record<string, import('k6/options').Threshold[]>} own
 * @returns {Record<string, import('k6/options').Threshold[]>}
 */
export function claimThresholds(latency, own) {
  /** @type {Record<string, import('k6/options').Threshold[]>} */
  const thresholds = {
    // Real failures (5xx, unexpected 4xx, timeouts) stay under 1% of requests; what counts as
    // expected is the script's http.setResponseCallback.
    http_req_failed: ['rate<0.01'],
    // "Expected outcomes are never 500": not a single server error.
    server_errors: ['count==0'],
    // The script's checks (status as expected, 200/201 bodies carry a coupon code, ...).
    checks: ['rate>0.99'],
    // Claims must stay fast.
    claim_latency: [`p(95)<${latency.p95Ms}`, `p(99)<${latency.p99Ms}`],
    // teardown: the stock adds up after the drain and claimed = persisted.
    invariant_violations: ['count==0'],
  };
  Object.assign(thresholds, own);
  for (const base of BASE_URLS) {
    // Per instance: every instance took traffic and none is slow on its own (also shows up per
    // instance in the summary, which k6 only does for metrics that have a threshold).
    thresholds[`http_reqs{instance:${base}}`] = ['count>0'];
    thresholds[`claim_latency{instance:${base}}`] = [`p(95)<${latency.p95Ms}`];
  }
  return thresholds;
}

// ---------------------------------------------------------------------------------------------------
// Scenario parameters (load-tests/scenario.json, shared with the Node runner `npm run load`)
// ---------------------------------------------------------------------------------------------------

/**
 * @typedef {object} Scenario
 * @property {number} stock                  coupons in the campaign
 * @property {number} perUserLimit           coupons one user may hold
 * @property {number} peakRate               new users arriving per second at the peak
 * @property {number} rampSeconds            linear ramp from 0 to peakRate
 * @property {number} holdSeconds            time spent at peakRate
 * @property {number} users                  distinct users; the k6 storm gives every arrival its own user,
 *                                           so this should equal peakRate * (rampSeconds / 2 + holdSeconds)
 * @property {number} impatientShare         share of users who press "claim" several times
 * @property {number} impatientRetries       extra presses of an impatient user (so 1 + this many requests)
 * @property {number} impatientWithKeyShare  share of impatient users who send an Idempotency-Key
 */

/** Scenario key -> env variable that overrides it, with its validation rules. */
const SCENARIO_ENV = /** @type {const} */ ([
  ['stock', 'STOCK', { min: 0, integer: true }],
  ['perUserLimit', 'PER_USER_LIMIT', { min: 1, max: 1000, integer: true }],
  ['peakRate', 'PEAK_RATE', { min: 1, integer: true }],
  ['rampSeconds', 'RAMP_SECONDS', { min: 0, integer: true }],
  ['holdSeconds', 'HOLD_SECONDS', { min: 0, integer: true }],
  ['users', 'USERS', { min: 1, integer: true }],
  ['impatientShare', 'IMPATIENT_SHARE', { min: 0, max: 1 }],
  ['impatientRetries', 'IMPATIENT_RETRIES', { min: 0, max: 10, integer: true }],
  ['impatientWithKeyShare', 'IMPATIENT_WITH_KEY_SHARE', { min: 0, max: 1 }],
]);

/**
 * Reads the scenario file's text (the caller opens it: k6's open() resolves paths relative to the
 * script that calls it, so the entry script does it) and applies the env overrides.
 * @param {string} text
 * @param {string} fileName  for error messages
 * @returns {Scenario}
 */
export function parseScenario(text, fileName) {
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fileName} is not valid JSON: ${String(e)}`);
  }
  const file = asRecord(parsed);
  if (file === null) throw new Error(`${fileName} must hold a JSON object`);
  /** @type {Record<string, number>} */
  const out = {};
  for (const [key, envName, rules] of SCENARIO_ENV) {
    const fromFile = file[key];
    if (typeof fromFile !== 'number') throw new Error(`${fileName}: "${key}" must be a number`);
    out[key] = envNumber(envName, validNumber(`${fileName}: ${key}`, fromFile, rules), rules);
  }
  return /** @type {Scenario} */ (/** @type {unknown} */ (out));
}

// ---------------------------------------------------------------------------------------------------
// User tokens: HS256 JWTs exactly as src/auth/jwt.ts verifies them
// ---------------------------------------------------------------------------------------------------

const JWT_HEADER = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');

/**
 * Mints a user token: header {"alg":"HS256","typ":"JWT"}, payload {sub, exp}, base64url without
 * padding, HMAC-SHA256 signature with JWT_SECRET. The server checks alg, signature, sub (1-128 chars)
 * and exp (with 5 s leeway).
 * @param {string} sub  the user id
 * @param {number} [ttlSeconds]
 * @param {string} [secret]
 * @returns {string}
 */
export function mintUserJwt(sub, ttlSeconds, secret) {
  const exp = Math.floor(Date.now() / 1000) + (ttlSeconds || 3600);
  const payload = encoding.b64encode(JSON.stringify({ sub: sub, exp: exp }), 'rawurl');
  const signingInput = `${JWT_HEADER}.${payload}`;
  const signature = crypto.hmac('sha256', secret || JWT_SECRET, signingInput, 'binary');
  return `${signingInput}.${encoding.b64encode(signature, 'rawurl')}`;
}

// ---------------------------------------------------------------------------------------------------
// Small JSON helpers (responses are checked, not trusted)
// ---------------------------------------------------------------------------------------------------

/**
 * @param {unknown} value
 * @returns {Record<string, unknown> | null}
 */
export function asRecord(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? /** @type {Record<string, unknown>} */ (value)
    : null;
}

/**
 * The parsed JSON body, or null when the body is missing or not JSON.
 * @param {import('k6/http').Response} res
 * @returns {unknown}
 */
export function jsonBody(res) {
  if (typeof res.body !== 'string' || res.body.length === 0) return null;
  try {
    return JSON.parse(res.body);
  } catch (_e) {
    return null;
  }
}

/**
 * The start of a response body, for error messages.
 * @param {import('k6/http').Response} res
 * @returns {string}
 */
export function bodySnippet(res) {
  return typeof res.body === 'string' ? res.body.slice(0, 300) : '';
}

/**
 * @param {Record<string, unknown>} obj
 * @param {string} key
 * @param {string} what  for error messages
 * @returns {number}
 */
function numberField(obj, key, what) {
  const v = obj[key];
  if (typeof v !== 'number') throw new Error(`${what}: "${key}" is not a number`);
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Admin API
// ---------------------------------------------------------------------------------------------------

/**
 * One admin call against ADMIN_URL with the Bearer ADMIN_TOKEN. Tagged kind=admin so it can be told
 * apart from claims; the claim thresholds use claim_latency, which admin calls never feed.
 * @param {string} method
 * @param {string} path  below /v1/admin, e.g. "/campaigns"
 * @param {unknown} [body]
 * @returns {import('k6/http').Response}
 */
export function adminCall(method, path, body) {
  return http.request(
    method,
    `${ADMIN_URL}/v1/admin${path}`,
    body === undefined ? null : JSON.stringify(body),
    {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      tags: {
        kind: 'admin',
        name: `${method} /v1/admin${path.replace(/\/campaigns\/[^/]+/, '/campaigns/:id')}`,
      },
      timeout: '30s',
    },
  );
}

/**
 * Fails setup() early, with a clear message, when an instance is not ready (Redis or Postgres down).
 * @param {readonly string[]} bases
 */
export function assertReady(bases) {
  for (const base of bases) {
    const res = http.get(`${base}/readyz`, {
      tags: { kind: 'admin', name: 'GET /readyz' },
      timeout: '10s',
      // A 503 here is an answer, not a load-test failure: don't count it in http_req_failed.
      responseCallback: http.expectedStatuses(200, 503),
    });
    if (res.status !== 200) {
      throw new Error(`${base}/readyz answered ${res.status} ${bodySnippet(res)}: start the fleet first`);
    }
  }
}

/**
 * @typedef {object} Campaign
 * @property {string} id
 * @property {number} totalStock
 * @property {number} perUserLimit
 * @property {string} startsAt
 * @property {string} endsAt
 */

/**
 * Creates a campaign through POST /v1/admin/campaigns, active now: it started a minute ago (room for
 * clock skew between this machine and the servers) and ends in two hours.
 * @param {{ idPrefix: string, totalStock: number, perUserLimit: number, name: string }} spec
 * @returns {Campaign}
 */
export function createCampaign(spec) {
  const now = Date.now();
  // ids match [a-z0-9][a-z0-9-]{0,63}; the timestamp keeps runs apart.
  const id = `${spec.idPrefix}-${now}`;
  const body = {
    id: id,
    name: spec.name,
    totalStock: spec.totalStock,
    perUserLimit: spec.perUserLimit,
    startsAt: new Date(now - 60 * 1000).toISOString(),
    endsAt: new Date(now + 2 * 3600 * 1000).toISOString(),
  };
  const res = adminCall('POST', '/campaigns', body);
  if (res.status !== 201) {
    throw new Error(`POST /v1/admin/campaigns (${id}) answered ${res.status}: ${bodySnippet(res)}`);
  }
  const created = asRecord(jsonBody(res));
  if (created === null || created.id !== id) throw new Error(`unexpected create answer: ${bodySnippet(res)}`);
  return {
    id: id,
    totalStock: numberField(created, 'totalStock', 'created campaign'),
    perUserLimit: numberField(created, 'perUserLimit', 'created campaign'),
    startsAt: String(created.startsAt),
    endsAt: String(created.endsAt),
  };
}

/**
 * @typedef {object} Stats
 * @property {number} totalStock
 * @property {number} remaining
 * @property {number} claimed    claims Redis acknowledged
 * @property {number} persisted  claims stored in Postgres
 * @property {number} pending    acknowledged claims not yet confirmed in Postgres
 * @property {{ waiting: number, active: number, delayed: number, failed: number }} queue
 */

/**
 * GET /v1/admin/campaigns/:id/stats, or null when it did not answer 200 with the expected shape.
 * @param {string} campaignId
 * @returns {Stats | null}
 */
export function fetchStats(campaignId) {
  const res = adminCall('GET', `/campaigns/${campaignId}/stats`);
  if (res.status !== 200) {
    log.warn(`stats of ${campaignId}: ${res.status} ${bodySnippet(res)}`);
    return null;
  }
  const body = asRecord(jsonBody(res));
  const queue = body === null ? null : asRecord(body.queue);
  if (body === null || queue === null) return null;
  try {
    return {
      totalStock: numberField(body, 'totalStock', 'stats'),
      remaining: numberField(body, 'remaining', 'stats'),
      claimed: numberField(body, 'claimed', 'stats'),
      persisted: numberField(body, 'persisted', 'stats'),
      pending: numberField(body, 'pending', 'stats'),
      queue: {
        waiting: numberField(queue, 'waiting', 'stats.queue'),
        active: numberField(queue, 'active', 'stats.queue'),
        delayed: numberField(queue, 'delayed', 'stats.queue'),
        failed: numberField(queue, 'failed', 'stats.queue'),
      },
    };
  } catch (e) {
    log.warn(String(e));
    return null;
  }
}

/**
 * Drained: nothing pending in Redis and nothing left to do in the persist queue.
 * @param {Stats} s
 * @returns {boolean}
 */
export function isDrained(s) {
  return s.pending === 0 && s.queue.waiting + s.queue.active + s.queue.delayed === 0;
}

/**
 * Polls the stats once a second until the campaign is drained or `timeoutSeconds` have passed.
 * (sleep() is fine here: teardown is not part of the arrival-rate schedule.)
 * @param {string} campaignId
 * @param {number} timeoutSeconds
 * @returns {{ stats: Stats | null, drained: boolean, waitedMs: number }}
 */
export function waitForDrain(campaignId, timeoutSeconds) {
  const started = Date.now();
  let stats = fetchStats(campaignId);
  while ((stats === null || !isDrained(stats)) && Date.now() - started < timeoutSeconds * 1000) {
    sleep(1);
    stats = fetchStats(campaignId);
  }
  return { stats: stats, drained: stats !== null && isDrained(stats), waitedMs: Date.now() - started };
}

/**
 * The invariants that must hold once the campaign is drained (DESIGN.md I1, I2, I4/I6).
 * @param {{ stats: Stats | null, drained: boolean }} drain
 * @param {number} expectedStock  the stock the script's thresholds were built with
 * @param {number} timeoutSeconds
 * @returns {string[]}  one message per violation; empty when all hold
 */
export function invariantViolations(drain, expectedStock, timeoutSeconds) {
  const s = drain.stats;
  if (s === null) return ['the stats endpoint never answered: nothing could be verified'];
  /** @type {string[]} */
  const out = [];
  if (!drain.drained) {
    out.push(
      `not drained after ${timeoutSeconds} s: pending ${s.pending}, queue waiting ${s.queue.waiting}, ` +
        `active ${s.queue.active}, delayed ${s.queue.delayed}`,
    );
  }
  if (s.totalStock !== expectedStock) {
    out.push(`totalStock is ${s.totalStock} but the script's thresholds assume ${expectedStock}`);
  }
  if (s.claimed > s.totalStock) out.push(`oversell: claimed ${s.claimed} > totalStock ${s.totalStock}`);
  if (s.remaining < 0) out.push(`remaining is negative: ${s.remaining}`);
  if (s.remaining + s.claimed !== s.totalStock) {
    out.push(`remaining ${s.remaining} + claimed ${s.claimed} != totalStock ${s.totalStock}`);
  }
  if (s.claimed !== s.persisted) out.push(`claimed ${s.claimed} != persisted ${s.persisted} in Postgres`);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// End-of-test verification metrics (emitted by teardown)
// ---------------------------------------------------------------------------------------------------

/**
 * Metrics teardown() fills after the drain. Samples emitted in teardown reach the end-of-test summary
 * and the thresholds, so a `count==0` threshold on `invariant_violations` fails the run (non-zero exit)
 * on every k6 version; the gauges put the final state into the summary JSON. Must be called in the
 * init context (k6 only creates metrics there).
 */
export function createVerificationMetrics() {
  return {
    violations: new Counter('invariant_violations'),
    totalStock: new Gauge('final_total_stock'),
    claimed: new Gauge('final_claimed'),
    persisted: new Gauge('final_persisted'),
    pending: new Gauge('final_pending'),
    remaining: new Gauge('final_remaining'),
    queueFailed: new Gauge('final_queue_failed'),
    drainTime: new Gauge('drain_time', true),
  };
}

/**
 * Waits for the drain, checks the invariants, records everything and fails the run on a violation.
 * @param {ReturnType<typeof createVerificationMetrics>} m
 * @param {string} campaignId
 * @param {number} expectedStock
 * @param {number} timeoutSeconds
 * @param {(s: Stats) => string[]} [extraChecks]  script-specific invariants
 */
export function verifyAfterDrain(m, campaignId, expectedStock, timeoutSeconds, extraChecks) {
  const drain = waitForDrain(campaignId, timeoutSeconds);
  const violations = invariantViolations(drain, expectedStock, timeoutSeconds);
  const s = drain.stats;
  if (s !== null) {
    if (extraChecks) violations.push(...extraChecks(s));
    m.totalStock.add(s.totalStock);
    m.claimed.add(s.claimed);
    m.persisted.add(s.persisted);
    m.pending.add(s.pending);
    m.remaining.add(s.remaining);
    m.queueFailed.add(s.queue.failed);
    log.log(
      `campaign ${campaignId} after ${(drain.waitedMs / 1000).toFixed(1)} s: totalStock ${s.totalStock}, ` +
        `claimed ${s.claimed}, persisted ${s.persisted}, pending ${s.pending}, remaining ${s.remaining}, ` +
        `queue failed ${s.queue.failed}`,
    );
    if (s.queue.failed > 0) log.warn(`${s.queue.failed} persist job(s) failed: check the worker logs`);
  }
  if (drain.drained) m.drainTime.add(drain.waitedMs);
  m.violations.add(violations.length);
  if (violations.length > 0) {
    for (const v of violations) log.error(`INVARIANT VIOLATED: ${v}`);
    failTest(
      `${violations.length} invariant violation(s) on campaign ${campaignId}: ${violations.join('; ')}`,
    );
  }
}

/**
 * Marks the run failed. exec.test.fail() (typed in @types/k6 2.3.0) exists only in newer k6 releases,
 * not in v0.48, so it is called when present. On older k6 the `invariant_violations` threshold alone
 * fails the run (exit code 99). We deliberately do not throw: an exception in teardown() is reported as
 * a script error and buries the verification details this run just collected.
 * @param {string} message
 */
export function failTest(message) {
  const test = /** @type {{ fail?: (message?: string) => void }} */ (exec.test);
  if (typeof test.fail === 'function') test.fail(message);
}

// ---------------------------------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------------------------------

/**
 * One claim as a batch-able request: POST with no body (the server reads an empty body as {}), the
 * user's Bearer token and, when given, an Idempotency-Key (1-128 visible ASCII characters).
 * @param {string} base
 * @param {string} campaignId
 * @param {string} token
 * @param {string | undefined} idempotencyKey
 * @param {import('k6/http').Params['responseCallback']} [responseCallback]  overrides the script's default
 * @returns {import('k6/http').ObjectBatchRequest}
 */
export function claimRequest(base, campaignId, token, idempotencyKey, responseCallback) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${token}` };
  if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey;
  /** @type {import('k6/http').Params} */
  const params = {
    headers: headers,
    // `name` groups every claim URL into one series; `instance` feeds the per-instance thresholds.
    tags: { name: 'POST /v1/campaigns/:id/claims', instance: base },
    timeout: REQUEST_TIMEOUT,
  };
  if (responseCallback !== undefined) params.responseCallback = responseCallback;
  return { method: 'POST', url: `${base}/v1/campaigns/${campaignId}/claims`, body: null, params: params };
}

/**
 * Sends one claim request (http.batch for several at once lives in the scripts).
 * @param {import('k6/http').ObjectBatchRequest} req
 * @returns {import('k6/http').Response}
 */
export function send(req) {
  return http.request(req.method, req.url, req.body === undefined ? null : req.body, req.params);
}

/**
 * The per-outcome metrics of the claim endpoint. Init context only.
 */
export function createClaimMetrics() {
  return {
    /** 201: a coupon was handed out */
    claimed: new Counter('coupons_claimed'),
    /** 200: the same Idempotency-Key again; the original claim is replayed */
    replayed: new Counter('claims_replayed'),
    /** 409 already_claimed: the user is at the per-user limit */
    duplicate: new Counter('claims_duplicate'),
    /** 410 sold_out */
    soldOut: new Counter('claims_sold_out'),
    /** any 5xx: "expected outcomes are never 500"; 503 means Redis is unreachable */
    serverErrors: new Counter('server_errors'),
    /** anything else (400, 401, 403, 404, 429, timeouts/connection errors as status 0) */
    unexpected: new Counter('claims_unexpected'),
    /** time of every claim request, in ms */
    latency: new Trend('claim_latency', true),
  };
}

/**
 * The outcome counters of the claim metrics (every one but the latency trend).
 * @param {ReturnType<typeof createClaimMetrics>} m
 * @returns {Counter[]}
 */
export function claimCounters(m) {
  return [m.claimed, m.replayed, m.duplicate, m.soldOut, m.serverErrors, m.unexpected];
}

/**
 * Adds 0 to each counter (call it from setup()) so each one appears in the summary even when nothing
 * was counted: the end-of-test data then holds e.g. server_errors = 0 rather than no entry at all.
 * @param {readonly Counter[]} counters
 */
export function zeroCounters(counters) {
  for (const counter of counters) counter.add(0);
}

/**
 * @typedef {object} ClaimBody
 * @property {string} id
 * @property {string} couponCode
 */

/**
 * The `claim` of a 200/201 body, or null when it lacks an id or a coupon code.
 * @param {import('k6/http').Response} res
 * @returns {ClaimBody | null}
 */
export function claimOf(res) {
  const body = asRecord(jsonBody(res));
  const claim = body === null ? null : asRecord(body.claim);
  if (claim === null) return null;
  const id = claim.id;
  const couponCode = claim.couponCode;
  if (typeof id !== 'string' || typeof couponCode !== 'string' || couponCode.length === 0) return null;
  return { id: id, couponCode: couponCode };
}

/**
 * Records one claim response: latency, the outcome counter, and checks (status is one of `expected`;
 * a 200/201 carries claim.couponCode). Returns the claim of a 200/201.
 * @param {import('k6/http').Response} res
 * @param {ReturnType<typeof createClaimMetrics>} m
 * @param {string} base
 * @param {readonly number[]} expected
 * @returns {ClaimBody | null}
 */
export function recordClaim(res, m, base, expected) {
  const tags = { instance: base };
  m.latency.add(res.timings.duration, tags);
  const status = res.status;
  if (status === 201) m.claimed.add(1, tags);
  else if (status === 200) m.replayed.add(1, tags);
  else if (status === 409) m.duplicate.add(1, tags);
  else if (status === 410) m.soldOut.add(1, tags);
  else if (status >= 500) m.serverErrors.add(1, tags);
  else m.unexpected.add(1, tags);

  const ok = expected.indexOf(status) >= 0;
  check(res, { [`claim: status is ${expected.join(', ')}`]: () => ok }, tags);
  if (!ok) {
    // Rare by construction; logging them helps find the cause (limited to keep the console usable).
    logSome(`claim on ${base}: ${status} ${bodySnippet(res)}${res.error ? ` (${res.error})` : ''}`);
  }
  if (status !== 200 && status !== 201) return null;
  const claim = claimOf(res);
  check(claim, { 'claim: 200/201 body has claim.couponCode': (c) => c !== null }, tags);
  return claim;
}

let logged = 0;
/**
 * console.warn at most 20 times per VU.
 * @param {string} message
 */
function logSome(message) {
  if (logged < 20) log.warn(message);
  logged++;
}

// ---------------------------------------------------------------------------------------------------
// End-of-test summary (our own small formatter: no remote jslib import)
// ---------------------------------------------------------------------------------------------------

/**
 * The parts of k6's end-of-test data that the formatter reads.
 * @typedef {object} SummaryMetric
 * @property {string} type
 * @property {string} contains
 * @property {Record<string, number>} values
 * @property {Record<string, { ok: boolean }>} [thresholds]
 */
/**
 * @typedef {object} SummaryData
 * @property {Record<string, SummaryMetric>} metrics
 * @property {{ testRunDurationMs?: number }} [state]
 */

/**
 * One statistic of one metric, or undefined when the metric or the statistic is missing.
 * @param {SummaryData} data
 * @param {string} metric
 * @param {string} name  e.g. "count", "rate", "p(95)", "value"
 * @returns {number | undefined}
 */
export function stat(data, metric, name) {
  const m = data.metrics[metric];
  return m === undefined ? undefined : m.values[name];
}

/**
 * @param {number | undefined} n
 * @returns {string}
 */
export function fmtMs(n) {
  if (n === undefined) return 'n/a';
  return n < 10 ? `${n.toFixed(2)} ms` : n < 1000 ? `${n.toFixed(1)} ms` : `${(n / 1000).toFixed(2)} s`;
}

/**
 * @param {number | undefined} n
 * @returns {string}
 */
export function fmtCount(n) {
  return n === undefined ? '0' : String(Math.round(n));
}

/**
 * A metric's count as shown in the summary ("0" when the metric is missing).
 * @param {SummaryData} data
 * @param {string} metric
 * @returns {string}
 */
export function countOf(data, metric) {
  return fmtCount(stat(data, metric, 'count'));
}

/**
 * Every threshold with its verdict and the value it was judged on.
 * @param {SummaryData} data
 * @returns {{ lines: string[], passed: boolean }}
 */
export function thresholdReport(data) {
  /** @type {string[]} */
  const lines = [];
  let passed = true;
  for (const name of Object.keys(data.metrics).sort()) {
    const m = data.metrics[name];
    if (m === undefined || m.thresholds === undefined) continue;
    for (const expr of Object.keys(m.thresholds)) {
      const verdict = m.thresholds[expr];
      const ok = verdict === undefined ? false : verdict.ok;
      if (!ok) passed = false;
      const agg = /^\s*([a-z]+(\([0-9.]+\))?)/.exec(expr);
      const value = agg && agg[1] !== undefined ? m.values[agg[1]] : undefined;
      const shown =
        value === undefined ? '' : m.contains === 'time' ? ` (${fmtMs(value)})` : ` (${+value.toFixed(4)})`;
      lines.push(`    ${ok ? 'ok  ' : 'FAIL'}  ${name}  ${expr}${shown}`);
    }
  }
  return { lines: lines, passed: passed };
}

/**
 * The lines about the state after the drain (from the gauges teardown emitted).
 * @param {SummaryData} data
 * @returns {string}
 */
export function finalStateLine(data) {
  if (stat(data, 'final_claimed', 'value') === undefined) return 'no final state (teardown did not verify)';
  return (
    `claimed ${fmtCount(stat(data, 'final_claimed', 'value'))}, ` +
    `persisted ${fmtCount(stat(data, 'final_persisted', 'value'))}, ` +
    `pending ${fmtCount(stat(data, 'final_pending', 'value'))}, ` +
    `remaining ${fmtCount(stat(data, 'final_remaining', 'value'))} of ${fmtCount(stat(data, 'final_total_stock', 'value'))}, ` +
    `failed jobs ${fmtCount(stat(data, 'final_queue_failed', 'value'))}, ` +
    `drained in ${fmtMs(stat(data, 'drain_time', 'value'))}, ` +
    `violations ${fmtCount(stat(data, 'invariant_violations', 'count'))}`
  );
}

/**
 * What handleSummary returns: the text on stdout and the full data as JSON at `path` (relative to the
 * directory k6 was started from; k6 does not create missing directories).
 * @param {SummaryData} data
 * @param {string} path
 * @param {string} text
 * @param {Record<string, unknown>} extra  added to the JSON under "flashsale"
 * @returns {Record<string, string>}
 */
export function summaryOutputs(data, path, text, extra) {
  /** @type {Record<string, string>} */
  const out = { stdout: text };
  out[path] = `${JSON.stringify(Object.assign({}, data, { flashsale: extra }), null, 2)}\n`;
  return out;
}

/**
 * Arrivals k6 could not start on time for lack of a free VU.
 * @param {SummaryData} data
 * @returns {number}
 */
export function droppedIterations(data) {
  return stat(data, 'dropped_iterations', 'count') || 0;
}

/**
 * handleSummary's answer for a claim test: on stdout the title, the target, the script's own lines
 * (scenario, arrivals, outcomes), the claim latency overall and per instance, the state after the drain,
 * the script's notes, a note on dropped arrivals, every threshold and the verdict; at `path` the full
 * data as JSON, with `meta`, the base URLs and the verdict under "flashsale".
 * @param {SummaryData} data
 * @param {{ title: string, lines: string[], notes: string[], path: string, meta: Record<string, unknown> }} spec
 * @returns {Record<string, string>}
 */
export function claimSummary(data, spec) {
  const report = thresholdReport(data);
  const dropped = droppedIterations(data);
  const lines = ['', spec.title, `  target        ${BASE_URLS.length} instance(s): ${BASE_URLS.join(', ')}`];
  lines.push(...spec.lines);
  lines.push(
    `  latency       avg ${fmtMs(stat(data, 'claim_latency', 'avg'))}, med ${fmtMs(stat(data, 'claim_latency', 'med'))}, ` +
      `p95 ${fmtMs(stat(data, 'claim_latency', 'p(95)'))}, p99 ${fmtMs(stat(data, 'claim_latency', 'p(99)'))}, ` +
      `max ${fmtMs(stat(data, 'claim_latency', 'max'))}`,
  );
  for (const base of BASE_URLS) {
    lines.push(
      `  instance      ${base}  ${fmtCount(stat(data, `http_reqs{instance:${base}}`, 'count'))} req, ` +
        `p95 ${fmtMs(stat(data, `claim_latency{instance:${base}}`, 'p(95)'))}`,
    );
  }
  lines.push(`  after drain   ${finalStateLine(data)}`);
  lines.push(...spec.notes);
  if (dropped > 0) {
    lines.push(`  note          k6 could not start ${dropped} arrivals on time: raise PRE_VUS/MAX_VUS`);
  }
  lines.push('  thresholds', ...report.lines);
  lines.push(`  result        ${report.passed ? 'PASS' : 'FAIL'}`, `  summary JSON  ${spec.path}`, '');
  const meta = Object.assign({}, spec.meta, { baseUrls: BASE_URLS, thresholdsPassed: report.passed });
  return summaryOutputs(data, spec.path, lines.join('\n'), meta);
}
