/** Which runs `npm run chaos` makes: the storm's size (full or short form) and each mode's guarantee. */

export type Mode = 'redis' | 'replica' | 'postgres';
export const MODES: readonly Mode[] = ['redis', 'replica', 'postgres'];

/**
 * What a mode promises for a scenario: `covered` (nothing acknowledged may be lost), `measured` (the mode
 * does not promise it; loss is reported, not failed) or `skip` (the mode's answer is another scenario).
 */
export type Coverage = 'covered' | 'measured' | 'skip';

export const SCENARIO_NAMES = [
  'api-kill',
  'worker-kill',
  'crash-before-enqueue',
  'postgres-cut',
  'redis-kill-always',
  'redis-host-crash-everysec',
  'redis-restart-empty',
  'redis-frozen',
  'replica-promoted-lagging',
  'cpu-saturated',
  'two-reconcilers',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

const ALL: Record<Mode, Coverage> = { redis: 'covered', replica: 'covered', postgres: 'covered' };

export const COVERAGE: Record<ScenarioName, Record<Mode, Coverage>> = {
  'api-kill': ALL,
  'worker-kill': ALL,
  'crash-before-enqueue': ALL,
  'postgres-cut': ALL,
  'redis-kill-always': ALL,
  'redis-host-crash-everysec': { redis: 'measured', replica: 'skip', postgres: 'covered' },
  'redis-restart-empty': { redis: 'measured', replica: 'skip', postgres: 'covered' },
  'redis-frozen': ALL,
  'replica-promoted-lagging': { redis: 'measured', replica: 'covered', postgres: 'covered' },
  'cpu-saturated': ALL,
  'two-reconcilers': ALL,
};

/** The storm's size. */
export interface Form {
  name: 'full' | 'short';
  apis: number;
  stock: number;
  /** Users arriving per second, for `seconds`. */
  rate: number;
  seconds: number;
  /** How long the Postgres cut lasts. */
  postgresCutS: number;
}

export const FULL: Form = { name: 'full', apis: 5, stock: 1_500, rate: 400, seconds: 8, postgresCutS: 30 };
export const SHORT: Form = { name: 'short', apis: 3, stock: 400, rate: 250, seconds: 4, postgresCutS: 5 };

const SHORT_RUNS: readonly [ScenarioName, Mode][] = [
  ['api-kill', 'redis'],
  ['redis-frozen', 'redis'],
  ['redis-host-crash-everysec', 'redis'],
  ['redis-restart-empty', 'redis'],
  ['replica-promoted-lagging', 'replica'],
  ['redis-restart-empty', 'postgres'],
  ['replica-promoted-lagging', 'postgres'],
];

export interface PlannedRun {
  scenario: ScenarioName;
  mode: Mode;
  coverage: Coverage;
}

/** Every scenario in every mode that covers or measures it (the short form: its fixed list), filtered. */
export function planRuns(opts: { short: boolean; only?: ScenarioName[]; modes?: Mode[] }): PlannedRun[] {
  // --short alone runs the short list; naming scenarios picks from every pair (in the short form).
  const pairs: [ScenarioName, Mode][] =
    opts.short && !opts.only
      ? [...SHORT_RUNS]
      : SCENARIO_NAMES.flatMap((s) => MODES.map((m): [ScenarioName, Mode] => [s, m]));
  return pairs
    .filter(([s, m]) => COVERAGE[s][m] !== 'skip')
    .filter(([s]) => !opts.only || opts.only.includes(s))
    .filter(([, m]) => !opts.modes || opts.modes.includes(m))
    .map(([scenario, mode]) => ({ scenario, mode, coverage: COVERAGE[scenario][mode] }));
}

export function parseList<T extends string>(raw: string | undefined, allowed: readonly T[], what: string) {
  if (raw === undefined) return undefined;
  const items = raw.split(',').filter(Boolean);
  const unknown = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (unknown.length > 0)
    throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
  return items as T[];
}
