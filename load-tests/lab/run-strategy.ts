import { tally } from './count.ts';
import { driveScenario } from './drive.ts';
import type { LabFleet } from './lab-fleet.ts';
import { type RunResult, resultOf } from './result.ts';
import { itemsOf, type LabScenario, warmUpOf } from './scenario.ts';
import type { Strategy } from './strategies/strategy.ts';

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
      request: ({ user, press, base }) => ({
        base,
        method: 'POST',
        path: `/s/${strategy.id}/orders`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: orderId(user, press), userId: `u${user}`, items: itemsOf(user, s) }),
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
