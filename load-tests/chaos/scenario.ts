import type { Form, ScenarioName } from './plan.ts';
import type { World } from './world.ts';

/**
 * What "time to recover" means for a scenario (the table's legend says it too):
 * - `first-201`: from the heal to the first claim answered by Redis again: a 201, or (when the stock ran
 *   out meanwhile) a replayed 200, a 409 or a 410 (every user sends an Idempotency-Key, so these come
 *   from Redis, never from an instance's sold-out snapshot);
 * - `last-failure`: from the injection to the last 503 or connection error (how long clients saw failures);
 * - `persisted`: from the heal to the first row persisted after it (persistence resumed);
 * - `repaired`: from the injection until every claim made before it is in Postgres (orphans requeued);
 * - `none`: the scenario does not disturb claims.
 */
export type RecoveryMeasure = 'first-201' | 'last-failure' | 'persisted' | 'repaired' | 'none';

export const RECOVERY_LEGEND: Record<RecoveryMeasure, string> = {
  'first-201': 'from the heal to the first claim answered again (201, or 200/409/410 once sold out)',
  'last-failure': 'from the injection to the last 503 or connection error',
  persisted: 'from the heal to the first row persisted after it',
  repaired: 'from the injection until every claim made before it was in Postgres',
  none: 'not applicable (claims are not disturbed)',
};

export interface FaultContext {
  world: World;
  form: Form;
  campaignId: string;
  /** Stamps the fault's injection and its heal (wall clock). */
  mark(event: 'fault' | 'heal'): void;
  /** An observation for the report. */
  note(text: string): void;
  /** A guarantee of the scenario's own, beyond the common verdict. */
  check(ok: boolean, what: string): void;
  /** A line on the console, now. */
  say(text: string): void;
  trafficDone: Promise<void>;
  isTrafficDone(): boolean;
}

export interface Scenario {
  name: ScenarioName;
  /** The primary's persistence flags (default: none, as startPrivateRedis starts it). */
  redisArgs?: string[];
  /** A replica in every mode (replica mode always has one). */
  replica?: boolean;
  /** Added to the fleet's environment. */
  env?: Record<string, string>;
  recovery: RecoveryMeasure;
  /** Seconds into the traffic at which `inject` starts (default: a third of the storm). */
  startAtS?: (form: Form) => number;
  /** Every stored reconciliation report must be ok (no unrepaired violation). */
  reportsMustBeOk?: boolean;
  /** Injects the fault and heals it (the world heals everything afterwards anyway). */
  inject(ctx: FaultContext): Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
