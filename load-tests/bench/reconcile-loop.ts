/**
 * A child process of `npm run bench:scale`: reconciliation passes over one campaign (BENCH_CAMPAIGN),
 * back to back, until SIGTERM; one JSON line per pass on stdout ({startMs, endMs, ok}). A process of its
 * own, as the worker that runs the scheduled pass in production is, so the pass' own CPU is not charged
 * to the claims measured beside it.
 */
import { createServices } from '../../src/bootstrap/services.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/shared/logger.ts';

const campaignId = process.env.BENCH_CAMPAIGN;
if (!campaignId) throw new Error('BENCH_CAMPAIGN is required');
const config = loadConfig();
const services = createServices(config, createLogger(config.LOG_LEVEL), { dbPoolSize: 2 });
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
// One pass first (connections, scripts loaded), unreported, then the ready signal.
await services.reconciler.run({ trigger: 'cli', campaignId });
process.send?.({ type: 'ready' });
while (!stopping) {
  const startMs = Date.now();
  const report = await services.reconciler.run({ trigger: 'cli', campaignId });
  console.log(JSON.stringify({ startMs, endMs: Date.now(), ok: report.ok }));
}
await services.close();
process.exit(0);
