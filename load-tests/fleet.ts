/**
 * npm run fleet -- [--apis 5] [--workers 1] [--base-port 3001]
 *
 * Starts N API instances (ROLE=api) on consecutive ports and M workers (ROLE=worker) against the local
 * Redis and Postgres (REDIS_URL, DATABASE_URL and the rest of the environment pass through), waits until
 * every instance is ready, prints the URLs and forwards every log line with the instance's name. Ctrl-C
 * or SIGTERM stops them all and waits until each has exited.
 */
import { parseArgs } from 'node:util';
import { stopOnExit } from './lib/children.ts';
import { startFleet } from './lib/fleet.ts';

const { values } = parseArgs({
  options: {
    apis: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1' },
    'base-port': { type: 'string', default: '3001' },
    quiet: { type: 'boolean', default: false },
  },
});
const apis = Number(values.apis);
const workers = Number(values.workers);
const basePort = Number(values['base-port']);
if (![apis, workers, basePort].every(Number.isInteger) || apis < 1 || workers < 0 || basePort < 1) {
  console.error('usage: npm run fleet -- [--apis N>=1] [--workers M>=0] [--base-port P]');
  process.exit(2);
}

// A load generator on this machine sends everything from one loopback address: the per-address limit
// would judge it one client (set RATE_LIMIT_ADDRESS_PER_SECOND to keep it).
const env: Record<string, string> = { RATE_LIMIT_ADDRESS_PER_SECOND: '0' };
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
const width = Math.max(`api-${apis}`.length, `worker-${workers}`.length);
let shuttingDown: Promise<number> | undefined;
// Signals and crashes are handled from the first moment: a Ctrl-C while starting stops what has started.
const starting = new AbortController();
let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
stopOnExit({ onStop: (reason) => shutdown(reason === 'crash' ? 1 : 0) });

fleet = await startFleet({
  apis,
  workers,
  basePort,
  env,
  signal: starting.signal,
  onLine: (name, line) => {
    if (!values.quiet) process.stdout.write(`[${name.padEnd(width)}] ${line}\n`);
  },
  onUnexpectedExit: (name, code) => {
    if (shuttingDown) return;
    console.error(`${name} exited with ${code}; stopping the fleet`);
    void shutdown(1).then((exitCode) => process.exit(exitCode));
  },
}).catch((err: unknown) => {
  if (!shuttingDown)
    console.error(`fleet failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(shuttingDown ? 0 : 1);
});

console.log(
  `fleet ready: ${apis} api instance${apis === 1 ? '' : 's'}, ${workers} worker${workers === 1 ? '' : 's'}`,
);
for (const p of fleet.processes)
  console.log(`  ${p.name.padEnd(width)}  pid ${p.pid}${p.url ? `  ${p.url}` : ''}`);
console.log(`BASE_URLS=${fleet.urls.join(',')}`);

/** Stops the fleet once and reports every exit; resolves with this tool's exit code. */
function shutdown(code: number): Promise<number> {
  shuttingDown ??= (async () => {
    if (!fleet) {
      starting.abort(); // startFleet stops what it started, then the catch above exits
      return code;
    }
    console.log('stopping the fleet...');
    const exits = await fleet.stop();
    for (const e of exits) console.log(`  ${e.name} (pid ${e.pid}) exited with ${e.code}`);
    return code === 0 && exits.every((e) => e.code === 0) ? 0 : code || 1;
  })();
  return shuttingDown;
}
