import type { CampaignReader } from '../campaign/campaign.read.ts';
import type { CampaignsRepo } from '../db/campaigns.repo.ts';
import type { ClaimsRepo } from '../db/claims.repo.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { registerStateGauges } from '../metrics/state.ts';
import type { Logger } from '../shared/logger.ts';
import type { Clients } from './clients.ts';

const within = <T>(work: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });

/** Adds to a process' metrics the state gauges, reading the active campaigns and the queue at scrape time. */
export function registerStateMetrics(
  metrics: Metrics,
  deps: {
    clients: Clients;
    campaigns: CampaignsRepo;
    claims: ClaimsRepo;
    reader: Pick<CampaignReader, 'live'>;
    log: Logger;
  },
): void {
  registerStateGauges(
    metrics.registry,
    {
      async activeCampaigns(limit) {
        const ids = await deps.campaigns.activeIds(new Date(), limit);
        const read = async (id: string) => {
          const [live, persisted] = await Promise.all([
            deps.reader.live(id),
            deps.claims.countByCampaign(id),
          ]);
          return { id, remaining: live.remaining, claimed: live.claimed, persisted };
        };
        // A campaign being restored (503) is left out of this scrape rather than failing the others.
        const figures = await within(Promise.allSettled(ids.map(read)), 2_000);
        return figures.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : []));
      },
      queueCounts: () =>
        within(deps.clients.persistQueue.getJobCounts('waiting', 'active', 'delayed', 'failed'), 1_000),
    },
    deps.log,
  );
}
