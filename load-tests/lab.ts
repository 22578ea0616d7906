/**
 * npm run lab -- [--instances 5] [--users 8000] [--rate 2000] [--stock 1000] [--duplicates 0.1]
 *   [--multi-users 2000] [--multi-rate 1000] [--multi-products 100] [--multi-items 20] [--multi-stock 100]
 *   [--capacity-seconds 5] [--capacity-connections 20] [--no-capacity]
 *   [--no-multi] [--only naive,mutex,redis-lock,redlock,optimistic,for-update,conditional-update,product]
 *   [--base-port 3301]
 *
 * The strategy lab: the concurrency techniques teams reach for, each selling the same stock to the same
 * arrivals from the same number of app processes against the same Postgres and Redis, side by side with
 * the product's own path: first a flash-sale storm at a fixed arrival rate (correctness, latency, errors),
 * then a closed-loop capacity run (sales per second at saturation). Prints the tables; writes
 * load-tests/results/lab.json and lab.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { htmlReport, labelOf, ratio, textTable } from './lab/report.ts';
import { runLab } from './lab/run-lab.ts';
import { capacity, type LabCapacity, type LabScenario, multiItem, singleItem } from './lab/scenario.ts';
import { strategies } from './lab/strategies/index.ts';
import { stopOnExit } from './lib/children.ts';
import { projectRoot } from './lib/processes.ts';
import { watchProgress } from './lib/progress.ts';
import { scratch } from './lib/scratch.ts';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: String(singleItem.instances) },
    users: { type: 'string', default: String(singleItem.users) },
    rate: { type: 'string', default: String(singleItem.rate) },
    stock: { type: 'string', default: String(singleItem.stock) },
    duplicates: { type: 'string', default: String(singleItem.duplicateShare) },
    'multi-users': { type: 'string', default: String(multiItem.users) },
    'multi-rate': { type: 'string', default: String(multiItem.rate) },
    'multi-products': { type: 'string', default: String(multiItem.products) },
    'multi-items': { type: 'string', default: String(multiItem.itemsPerOrder) },
    'multi-stock': { type: 'string', default: String(multiItem.stock) },
    'no-multi': { type: 'boolean', default: false },
    'capacity-seconds': { type: 'string', default: String(capacity.seconds) },
    'capacity-connections': { type: 'string', default: String(capacity.connectionsPerBase) },
    'no-capacity': { type: 'boolean', default: false },
    only: { type: 'string' },
    'base-port': { type: 'string', default: '3301' },
  },
});
const num = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0`);
  return n;
};
const single: LabScenario = {
  ...singleItem,
  instances: num('instances'),
  users: num('users'),
  rate: num('rate'),
  stock: num('stock'),
  duplicateShare: num('duplicates'),
};
const multi: LabScenario = {
  ...multiItem,
  instances: single.instances,
  users: num('multi-users'),
  rate: num('multi-rate'),
  products: num('multi-products'),
  itemsPerOrder: num('multi-items'),
  stock: num('multi-stock'),
  duplicateShare: single.duplicateShare,
};
const closedLoop: LabCapacity = {
  seconds: num('capacity-seconds'),
  connectionsPerBase: num('capacity-connections'),
};
const resources = scratch('lab');
// The lab's processes and Redlock nodes are registered as they start; this stops them on any exit.
stopOnExit({ onStop: () => resources.cleanup() });
const stopProgress = watchProgress();

try {
  console.log(
    `strategy lab: ${single.instances} instances; ${single.users} users at ${single.rate}/s for stock ${single.stock}` +
      (values['no-multi']
        ? ''
        : `; multi-item: ${multi.users} orders of ${multi.itemsPerOrder}/${multi.products} products`),
  );
  const results = await runLab({
    single,
    ...(values['no-multi'] ? {} : { multi }),
    ...(values['no-capacity'] ? {} : { capacity: closedLoop }),
    ...(values.only ? { only: values.only.split(',') } : {}),
    basePort: num('base-port'),
    databaseUrl: resources.databaseUrl,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: resources.prefix,
    onResult: (r) =>
      console.log(
        `  ${r.variant.padEnd(6)} ${`${labelOf(r)} x${r.instances}`.padEnd(46)} ${Math.round(r.claimsPerSecond)} placed/s, ` +
          `p99 ${r.latency.p99} ms, oversold ${r.tally.oversoldUnits}, users x2 ${r.tally.usersWithTwoOrders}` +
          `${r.correct ? '' : '  <- WRONG'}`,
      ),
    onLine: (name, line) => {
      if (/"level":"(error|fatal)"|Error/.test(line)) console.error(`[${name}] ${line}`);
    },
  });
  const headings = {
    single: `one coupon per claim: the storm (${single.users} users at ${single.rate}/s; placed/s is bounded by that rate)`,
    capacity: `capacity: closed loop, ${closedLoop.connectionsPerBase} connections per instance for ${closedLoop.seconds} s, every request a new user, stock that never runs out`,
    multi: `multi-item orders: ${multi.users} orders of ${multi.itemsPerOrder}/${multi.products} products at ${multi.rate}/s, all or nothing`,
  };
  for (const variant of ['single', 'capacity', 'multi'] as const) {
    const rs = results.filter((r) => r.variant === variant);
    if (rs.length > 0) console.log(`\n${headings[variant]}\n${textTable(rs)}`);
  }
  const ratios = Object.fromEntries(
    (['capacity', 'single', 'multi'] as const).map((variant) => [
      variant,
      {
        vsForUpdate: ratio(results, 'for-update', variant),
        vsConditional: ratio(results, 'conditional-update', variant),
      },
    ]),
  );
  const x = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(1)}x`);
  console.log(
    `\nproduct / SELECT FOR UPDATE: ${x(ratios.capacity?.vsForUpdate)} at capacity, ${x(ratios.single?.vsForUpdate)} in the storm (goal >= 10x)` +
      `\nproduct / conditional UPDATE: ${x(ratios.capacity?.vsConditional)} at capacity, ${x(ratios.single?.vsConditional)} in the storm (goal >= 5x)` +
      `\ngift packs / SELECT FOR UPDATE: ${x(ratios.multi?.vsForUpdate)}, / conditional UPDATE: ${x(ratios.multi?.vsConditional)} in the multi-item orders`,
  );

  const dir = `${projectRoot}load-tests/results`;
  mkdirSync(dir, { recursive: true });
  const command = `npm run lab${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const machine = `${cpus().length} cores, Node ${process.version}`;
  writeFileSync(
    `${dir}/lab.json`,
    JSON.stringify(
      { command, machine, scenarios: { single, multi, capacity: closedLoop }, ratios, results },
      null,
      2,
    ),
  );
  const summaries = Object.fromEntries(strategies.map((s) => [s.title, s.summary]));
  summaries['7. product: Lua gate + queue'] =
    'Correct across any number of instances: one Lua script decides stock and the per-user limit atomically in Redis; Postgres catches up in batches.';
  writeFileSync(
    `${dir}/lab.html`,
    htmlReport({ results, scenarios: { single, multi, capacity: closedLoop }, summaries, command, machine }),
  );
  console.log(`\nwrote ${dir}/lab.json\nHTML report: ${dir}/lab.html`);
} finally {
  stopProgress();
  await resources.cleanup();
}
