import { parseArgs } from 'node:util';
import { createServices } from '../bootstrap/services.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { unrepaired } from '../reconcile/report.ts';
import { createLogger } from '../shared/logger.ts';

/**
 * One reconciliation pass from the command line: `npm run reconcile [-- --campaign <id>] [--json]`.
 * Prints a summary (or the whole report with --json); exits 1 when a violation is left unrepaired,
 * 2 when it could not run.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { campaign: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const config = loadConfig(undefined, { LOG_LEVEL: 'warn' });
  const log = createLogger(config.LOG_LEVEL, { cli: 'reconcile' });
  await migrateDatabase(config.DATABASE_URL);
  const services = createServices(config, log, { dbPoolSize: 4 });
  try {
    // A pass finds each campaign's master at once: on a cluster, the slot map has to be known first.
    await services.clients.router.ready();
    const report = await services.reconciler.run({ trigger: 'cli', campaignId: values.campaign });
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(
        `reconciliation run ${report.runId}: ${report.campaigns.length} campaigns in ${report.durationMs} ms`,
      );
      for (const c of report.campaigns) {
        const r = c.repairs;
        console.log(
          `  ${c.campaignId}: claimed ${c.redis.claimed}/${c.redis.totalStock}, persisted ${c.postgres.persisted}, ` +
            `pending ${c.redis.pending}; rebuilt ${r.rebuilt}, requeued ${r.requeued}, marked persisted ${r.markedPersisted}, ` +
            `stock changes recorded ${r.stockChangesRecorded}, counters fixed ${r.countersFixed}`,
        );
        for (const v of c.violations)
          console.log(`    ${v.repaired ? 'repaired ' : 'UNREPAIRED'} ${v.invariant}: ${v.message}`);
      }
    }
    const left = unrepaired(report).length;
    if (left > 0) console.error(`${left} violations left unrepaired`);
    return left > 0 ? 1 : 0;
  } finally {
    await services.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(2);
  },
);
