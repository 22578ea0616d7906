import { type HttpRequest, runClosedLoop } from '../lib/driver.ts';
import { tally } from './count.ts';
import { driveScenario } from './drive.ts';
import type { LabFleet } from './lab-fleet.ts';
import { capacityResultOf, type RunResult, resultOf } from './result.ts';
import { capacityScenarioOf, itemsOf, type LabCapacity, type LabScenario, warmUpOf } from './scenario.ts';
import type { Order, Strategy } from './strategies/strategy.ts';

/** An order to one lab process, as the lab app takes it. */
export const orderRequest = (strategyId: string, base: string, order: Order): HttpRequest => ({
  base,
  method: 'POST',
  path: `/s/${strategyId}/orders`,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(order),
});

/** One strategy through the scenario on the first `instances` lab processes, then the verdict. */
export async function runStrategy(opts: {
  fleet: LabFleet;
  strategy: Strategy;
  scenario: LabScenario;
  variant: RunResult['variant'];
  instances: number;
  warmUp: boolean;
}): Promise<RunResult> {
  const { fleet, strategy, scenario } = opts;
  const orderId = (user: number, press: number) => `o${user}-${press}`;
  const drive = (s: LabScenario) =>
    driveScenario({
      scenario: s,
      bases: fleet.urls.slice(0, opts.instances),
      request: ({ user, press, base }) =>
        orderRequest(strategy.id, base, {
          orderId: orderId(user, press),
          userId: `u${user}`,
          items: itemsOf(user, s),
        }),
      placedId: ({ user, press }) => orderId(user, press),
    });
  // A short, gentle run first, so every strategy is measured with warm code and open connections.
  if (opts.warmUp) {
    await fleet.prepare(strategy, scenario);
    await drive(warmUpOf(scenario));
    await fleet.settle(strategy.id);
  }
  await fleet.prepare(strategy, scenario);
  const driven = await drive(scenario);
  const counters = await fleet.settle(strategy.id);
  const ledger = await fleet.ledger(scenario);
  return resultOf({
    strategy: strategy.id,
    title: strategy.title,
    variant: opts.variant,
    instances: opts.instances,
    driven,
    counters,
    tally: tally(ledger, scenario.itemsPerOrder, new Set(driven.acked.keys())),
  });
}

/**
 * The strategy's capacity on the first `instances` lab processes (run after its storm, so code and
 * connections are warm): a closed loop of new users, each ordering the one product, whose stock never
 * runs out.
 */
export async function runStrategyCapacity(opts: {
  fleet: LabFleet;
  strategy: Strategy;
  scenario: LabScenario;
  capacity: LabCapacity;
  instances: number;
}): Promise<RunResult> {
  const { fleet, strategy } = opts;
  const scenario = capacityScenarioOf(opts.scenario);
  await fleet.prepare(strategy, scenario);
  const acked = new Set<string>();
  const loop = await runClosedLoop({
    bases: fleet.urls.slice(0, opts.instances),
    connectionsPerBase: opts.capacity.connectionsPerBase,
    seconds: opts.capacity.seconds,
    graceMs: scenario.timeoutMs,
    request: (n, base) => orderRequest(strategy.id, base, { orderId: `k${n}`, userId: `k${n}`, items: [1] }),
    onAnswer: (n, res) => {
      if (res.status === 201) acked.add(`k${n}`);
    },
  });
  const counters = await fleet.settle(strategy.id);
  const ledger = await fleet.ledger(scenario);
  return capacityResultOf({
    strategy: strategy.id,
    title: strategy.title,
    instances: opts.instances,
    loop,
    counters,
    tally: tally(ledger, 1, acked),
  });
}
