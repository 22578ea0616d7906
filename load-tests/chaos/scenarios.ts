import type { ScenarioName } from './plan.ts';
import {
  apiKill,
  cpuSaturated,
  crashBeforeEnqueue,
  postgresCut,
  twoReconcilers,
  workerKill,
} from './process-faults.ts';
import {
  redisFrozen,
  redisHostCrashEverysec,
  redisKillAlways,
  redisRestartEmpty,
  replicaPromotedLagging,
} from './redis-faults.ts';
import type { Scenario } from './scenario.ts';

/** Every scenario by name, in the table's order. */
export const SCENARIOS: Record<ScenarioName, Scenario> = {
  'api-kill': apiKill,
  'worker-kill': workerKill,
  'crash-before-enqueue': crashBeforeEnqueue,
  'postgres-cut': postgresCut,
  'redis-kill-always': redisKillAlways,
  'redis-host-crash-everysec': redisHostCrashEverysec,
  'redis-restart-empty': redisRestartEmpty,
  'redis-frozen': redisFrozen,
  'replica-promoted-lagging': replicaPromotedLagging,
  'cpu-saturated': cpuSaturated,
  'two-reconcilers': twoReconcilers,
};
