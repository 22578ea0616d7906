import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';

/** One campaign's figures as a scrape reports them. */
export interface CampaignFigures {
  id: string;
  remaining: number;
  claimed: number;
  persisted: number;
}

/** Where the state gauges read from, at scrape time only (nothing is polled between scrapes). */
export interface StateSource {
  /** The campaigns inside their window, at most `limit` of them. */
  activeCampaigns(limit: number): Promise<CampaignFigures[]>;
  queueCounts(): Promise<Record<string, number>>;
}

/** Bounds the campaign label: a scrape never reports (nor reads) more campaigns than this. */
export const MAX_CAMPAIGNS = 20;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Scrapes that come together (several gauges, several scrapers) share one read. */
const REUSE_MS = 1_000;

/**
 * Gauges of the shared state (stock per campaign, queue depth), read from Redis and Postgres when
 * /metrics is scraped. Every instance reports the same figures: aggregate them with max(), not sum().
 * A failed read leaves the gauges empty for that scrape (and counts it) instead of failing /metrics.
 */
export function registerStateGauges(registry: Registry, source: StateSource, log: Logger): void {
  const registers = [registry];
  const remember = <T>(read: () => Promise<T>) => {
    let last: { at: number; value: Promise<T> } | undefined;
    return () => {
      const now = Date.now();
      if (!last || now - last.at > REUSE_MS) last = { at: now, value: read() };
      return last.value;
    };
  };
  const campaigns = remember(() => source.activeCampaigns(MAX_CAMPAIGNS));
  const queue = remember(() => source.queueCounts());

  new Gauge({
    name: 'flashsale_state_scrape_errors',
    help: 'State gauges that could not be read at this scrape (1: the campaigns or the queue did not answer)',
    labelNames: ['source'],
    registers,
    async collect() {
      const [c, q] = await Promise.allSettled([campaigns(), queue()]);
      this.labels('campaigns').set(c.status === 'rejected' ? 1 : 0);
      this.labels('queue').set(q.status === 'rejected' ? 1 : 0);
    },
  });

  const campaignGauge = (name: string, help: string, pick: (c: CampaignFigures) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['campaign'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const c of await campaigns()) this.labels(c.id).set(pick(c));
        } catch (err) {
          log.debug('campaign gauges not read', { err });
        }
      },
    });
  campaignGauge(
    'flashsale_campaign_remaining',
    'Coupons left in Redis, per active campaign',
    (c) => c.remaining,
  );
  campaignGauge(
    'flashsale_campaign_claimed',
    'Coupons claimed in Redis, per active campaign',
    (c) => c.claimed,
  );
  campaignGauge(
    'flashsale_campaign_persisted',
    'Claims stored in Postgres, per active campaign',
    (c) => c.persisted,
  );

  new Gauge({
    name: 'flashsale_queue_jobs',
    help: 'Persist jobs in the queue, by state',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      try {
        const counts = await queue();
        for (const state of QUEUE_STATES) this.labels(state).set(counts[state] ?? 0);
      } catch (err) {
        log.debug('queue gauge not read', { err });
      }
    },
  });
}
