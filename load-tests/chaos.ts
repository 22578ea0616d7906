/**
 * npm run chaos [-- --short] [--only a,b] [--modes redis,replica,postgres]
 *
 * The product's fault suite: each scenario, in each ACK_DURABILITY mode whose guarantee covers it (and in
 * `redis` mode where that mode only measures the loss), against a private world (its own redis-server,
 * proxies, scratch database, a fleet of API processes and a worker) under a storm of users that retry as
 * the README tells them. Prints a line per second while a run's traffic runs, a line per run, then the
 * table; writes load-tests/results/chaos.json and chaos.html (and each run's service logs in
 * chaos-logs/). Exits 1 when any run breaks its mode's guarantee.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL, MODES, parseList, planRuns, SCENARIO_NAMES, SHORT } from './chaos/plan.ts';
import { formatTable, writeReports } from './chaos/report.ts';
import { type RunResult, runChaos } from './chaos/run.ts';
import { SCENARIOS } from './chaos/scenarios.ts';
import type { World } from './chaos/world.ts';
import { stopOnExit } from './lib/children.ts';
import { projectRoot } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    only: { type: 'string' },
    modes: { type: 'string' },
  },
});
const only = parseList(values.only, SCENARIO_NAMES, 'scenario');
const modes = parseList(values.modes, MODES, 'mode');
const form = values.short ? SHORT : FULL;
const runs = planRuns({ short: values.short, ...(only ? { only } : {}), ...(modes ? { modes } : {}) });
const outDir = join(projectRoot, 'load-tests/results');

// Every process a run starts is registered; a crash or Ctrl-C stops them all, and the run's world
// (proxies, servers, scratch database) is torn down.
let current: World | undefined;
stopOnExit({ graceMs: 5_000, onStop: async () => current?.teardown() });

console.log(
  `chaos (${form.name} form): ${runs.length} runs; ${form.apis} API processes + 1 worker each; stock ${form.stock}, ` +
    `${form.rate} users/s for ${form.seconds} s (${form.rate * form.seconds} users), Postgres cut ${form.postgresCutS} s`,
);
const began = Date.now();
const results: RunResult[] = [];
let crashed = 0;
for (const [i, planned] of runs.entries()) {
  console.log(`\n[${i + 1}/${runs.length}] ${planned.scenario} / ${planned.mode} (${planned.coverage})`);
  try {
    const r = await runChaos({
      form,
      scenario: SCENARIOS[planned.scenario],
      mode: planned.mode,
      coverage: planned.coverage,
      say: (line) => console.log(line),
      logDir: join(outDir, 'chaos-logs'),
      onWorld: (w) => {
        current = w;
      },
    });
    results.push(r);
    const f = r.figures;
    console.log(
      `  => ${r.pass ? 'pass' : 'FAIL'}: acked ${f.acknowledged}, lost ${f.lost}, duplicated ${f.duplicated}, ` +
        `rows ${f.rows}/${form.stock} (${f.unacknowledgedRows} never acknowledged), 503s ${f.unavailable}, errors ${f.connectionErrors}, gave up ${f.gaveUp}, ` +
        `recover ${f.recoveryMs ?? '-'} ms, lag p50 ${f.lagMs.p50} p99 ${f.lagMs.p99} ms, drained in ` +
        `${r.settled.drainMs} ms; ${r.durationS} s${r.reasons.length ? `\n     ${r.reasons.join('\n     ')}` : ''}`,
    );
  } catch (err) {
    crashed++;
    console.error(
      `  => the run could not complete: ${err instanceof Error ? (err.stack ?? err.message) : err}`,
    );
  }
}

const tookS = Math.round((Date.now() - began) / 1000);
console.log(`\n${formatTable(results)}\n`);
const files = writeReports(
  outDir,
  { form, runs: runs.length, crashed, tookS, finishedAt: new Date().toISOString() },
  results,
);
const passed = results.filter((r) => r.pass).length;
console.log(
  `${passed} of ${runs.length} runs passed${crashed ? `, ${crashed} could not complete` : ''}; ` +
    `${tookS} s. Reports: ${files.map((f) => f.replace(projectRoot, '')).join(', ')}`,
);
process.exit(passed === runs.length ? 0 : 1);
