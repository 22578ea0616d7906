import { readFileSync } from 'node:fs';

/** The storm scenario shared with the k6 script (load-tests/scenario.json; env overrides as in k6). */
export interface Scenario {
  stock: number;
  perUserLimit: number;
  peakRate: number;
  rampSeconds: number;
  holdSeconds: number;
  users: number;
  impatientShare: number;
  impatientRetries: number;
  impatientWithKeyShare: number;
}

const ENV_NAMES: Record<keyof Scenario, string> = {
  stock: 'STOCK',
  perUserLimit: 'PER_USER_LIMIT',
  peakRate: 'PEAK_RATE',
  rampSeconds: 'RAMP_SECONDS',
  holdSeconds: 'HOLD_SECONDS',
  users: 'USERS',
  impatientShare: 'IMPATIENT_SHARE',
  impatientRetries: 'IMPATIENT_RETRIES',
  impatientWithKeyShare: 'IMPATIENT_WITH_KEY_SHARE',
};

export function loadScenario(
  overrides: Partial<Scenario> = {},
  file = new URL('../scenario.json', import.meta.url),
): Scenario {
  const base = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
  const out = { ...base };
  for (const key of Object.keys(ENV_NAMES) as (keyof Scenario)[]) {
    const env = process.env[ENV_NAMES[key]];
    if (env !== undefined && env !== '') out[key] = Number(env);
    if (overrides[key] !== undefined) out[key] = overrides[key];
    if (!Number.isFinite(out[key]) || out[key] < 0) throw new Error(`scenario ${key} must be a number >= 0`);
  }
  return out;
}

/** Arrivals in a ramp from 0 to peakRate over rampSeconds, then a hold: peak * (ramp / 2 + hold). */
export function arrivalsIn(s: Pick<Scenario, 'peakRate' | 'rampSeconds' | 'holdSeconds'>): number {
  return Math.round(s.peakRate * (s.rampSeconds / 2 + s.holdSeconds));
}

/** Seconds from the start at which arrival `i` (0-based) is due in that ramp-then-hold schedule. */
export function arrivalTime(i: number, s: Pick<Scenario, 'peakRate' | 'rampSeconds'>): number {
  const n = i + 1;
  const rampArrivals = (s.peakRate * s.rampSeconds) / 2;
  if (s.rampSeconds > 0 && n <= rampArrivals) return Math.sqrt((2 * n * s.rampSeconds) / s.peakRate);
  return s.rampSeconds + (n - rampArrivals) / s.peakRate;
}

/** Deterministic, evenly spread value in [0, 1) for user i (the k6 script uses the same sequence). */
export function spread(i: number, step: number): number {
  const x = (i + 1) * step;
  return x - Math.floor(x);
}

export const IMPATIENT_STEP = 0.6180339887498949;
export const WITH_KEY_STEP = 0.7548776662466927;
