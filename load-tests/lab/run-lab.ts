import { setPhase } from '../lib/progress.ts';
import { startLabFleet } from './lab-fleet.ts';
import type { RunResult } from './result.ts';
import { PRODUCT_ID, runProduct } from './run-product.ts';
import { runProductMulti } from './run-product-multi.ts';
import { runStrategy, runStrategyCapacity } from './run-strategy.ts';
import type { LabCapacity, LabScenario } from './scenario.ts';
import { strategies } from './strategies/index.ts';

export interface LabPlan {
  single: LabScenario;
  /** The multi-item variant, for the strategies that have one; omit to skip it. */
  multi?: LabScenario;
  /** The closed-loop capacity run after each single-item storm; omit to skip it. */
  capacity?: LabCapacity;
  /** Strategy ids to run (`product` is the product's own path); all by default. */
  only?: string[];
  basePort: number;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** Run and discard a gentle warm-up before each measured run (default true; tests skip it). */
  warmUp?: boolean;
  onResult?: (r: RunResult) => void;
  onLine?: (name: string, line: string) => void;
}

/**
 * Every strategy through the same scenario on the same lab processes, one after another (the mutex also
 * on a single instance, where it is correct), each followed by its capacity run; then the multi-item
 * variant; then the product's own fleet, storm and capacity.
 * The lab processes are stopped before the product starts, so the two never share the CPU.
 */
export async function runLab(plan: LabPlan): Promise<RunResult[]> {
  const warmUp = plan.warmUp ?? true;
  const wanted = (id: string) => !plan.only || plan.only.includes(id);
  const chosen = strategies.filter((s) => wanted(s.id));
  const results: RunResult[] = [];
  const record = (r: RunResult) => {
    results.push(r);
    plan.onResult?.(r);
  };
  if (chosen.length > 0) {
    const fleet = await startLabFleet({
      instances: Math.max(plan.single.instances, plan.multi?.instances ?? 0),
      basePort: plan.basePort,
      databaseUrl: plan.databaseUrl,
      redisUrl: plan.redisUrl,
      prefix: plan.prefix,
      // Half the client's patience: a request either gets its answer or a 503 before the client gives up.
      maxWaitMs: Math.floor(plan.single.timeoutMs / 2),
      ...(plan.onLine ? { onLine: plan.onLine } : {}),
    });
    try {
      for (const strategy of chosen) {
        const counts =
          strategy.id === 'mutex' && plan.single.instances > 1
            ? [1, plan.single.instances]
            : [plan.single.instances];
        for (const instances of counts) {
          setPhase(`${strategy.id} x${instances}, storm`);
          record(
            await runStrategy({
              fleet,
              strategy,
              scenario: plan.single,
              variant: 'single',
              instances,
              warmUp,
            }),
          );
          setPhase(`${strategy.id} x${instances}, capacity`);
          if (plan.capacity)
            record(
              await runStrategyCapacity({
                fleet,
                strategy,
                scenario: plan.single,
                capacity: plan.capacity,
                instances,
              }),
            );
        }
      }
      if (plan.multi) {
        for (const strategy of chosen.filter((s) => s.multiItem)) {
          setPhase(`${strategy.id}, multi-item storm`);
          record(
            await runStrategy({
              fleet,
              strategy,
              scenario: plan.multi,
              variant: 'multi',
              instances: plan.multi.instances,
              warmUp,
            }),
          );
        }
      }
    } finally {
      await fleet.stop();
    }
  }
  if (wanted(PRODUCT_ID)) {
    setPhase('product: storm and capacity');
    for (const r of await runProduct({
      scenario: plan.single,
      basePort: plan.basePort,
      warmUp,
      ...(plan.capacity ? { capacity: plan.capacity } : {}),
      ...(plan.onLine ? { onLine: plan.onLine } : {}),
    })) {
      record(r);
    }
    if (plan.multi) {
      record(
        await runProductMulti({
          scenario: plan.multi,
          basePort: plan.basePort,
          ...(plan.onLine ? { onLine: plan.onLine } : {}),
        }),
      );
    }
  }
  setPhase('');
  return results;
}
