import { IMPATIENT_STEP, spread } from '../lib/scenario.ts';

/**
 * One lab scenario, the same for every strategy: `users` distinct users arrive at `rate` a second (so the
 * run lasts users / rate seconds); a `duplicateShare` of them press twice at once, on two different
 * instances; each order takes one unit of `itemsPerOrder` products out of `products`, each stocked with
 * `stock`. The single-item lab is products = itemsPerOrder = 1: a coupon.
 */
export interface LabScenario {
  instances: number;
  users: number;
  rate: number;
  duplicateShare: number;
  products: number;
  itemsPerOrder: number;
  stock: number;
  /** A request unanswered after this long counts as an error, as a user gives up. */
  timeoutMs: number;
}

export const singleItem: LabScenario = {
  instances: 5,
  users: 8_000,
  rate: 2_000,
  duplicateShare: 0.1,
  products: 1,
  itemsPerOrder: 1,
  stock: 1_000,
  timeoutMs: 10_000,
};

export const multiItem: LabScenario = {
  instances: 5,
  users: 2_000,
  rate: 1_000,
  duplicateShare: 0.1,
  products: 100,
  itemsPerOrder: 20,
  stock: 100,
  timeoutMs: 10_000,
};

/** Two seconds at a quarter of the rate, run and thrown away before each measured run (JIT, connections). */
export const warmUpOf = (s: LabScenario): LabScenario => ({
  ...s,
  users: Math.max(1, Math.round(s.rate / 2)),
  rate: Math.max(1, Math.round(s.rate / 4)),
});

export const pressesOf = (user: number, s: LabScenario) =>
  spread(user, IMPATIENT_STEP) < s.duplicateShare ? 2 : 1;

/** The products user `user` orders: `itemsPerOrder` distinct ids in 1..products, the same on every run. */
export function itemsOf(user: number, s: LabScenario): number[] {
  if (s.itemsPerOrder >= s.products) return Array.from({ length: s.products }, (_, i) => i + 1);
  const ids = Array.from({ length: s.products }, (_, i) => i + 1);
  let seed = (user + 1) * 0x9e3779b1;
  const next = () => {
    // xorshift32: deterministic and cheap; quality is irrelevant here
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < s.itemsPerOrder; i++) {
    const j = i + Math.floor(next() * (ids.length - i));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids.slice(0, s.itemsPerOrder).sort((a, b) => a - b);
}

/**
 * The capacity run, after each strategy's storm on the same processes: `connectionsPerBase` connections
 * per instance, each sending as soon as it is answered, for `seconds`. Every request is a new user and the
 * stock never runs out, so every answer is a sale: this measures how many sales a second the strategy
 * completes when it never waits for arrivals, which the storm (bounded by its arrival rate) cannot show.
 */
export interface LabCapacity {
  seconds: number;
  connectionsPerBase: number;
}

export const capacity: LabCapacity = { seconds: 5, connectionsPerBase: 20 };

/** Stock for the capacity run: more than any machine sells in its seconds. */
export const CAPACITY_STOCK = 100_000_000;

/** The single-item scenario with the capacity run's stock, for preparing and reading the lab tables. */
export const capacityScenarioOf = (s: LabScenario): LabScenario => ({
  ...s,
  products: 1,
  itemsPerOrder: 1,
  stock: CAPACITY_STOCK,
});
