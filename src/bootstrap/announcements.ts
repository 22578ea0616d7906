import { createBucketDirectory } from '../claim/bucket-directory.ts';
import { createSoldOutCache } from '../claim/sold-out.ts';
import type { Config } from '../config.ts';
import { createSubscriber } from '../redis/connections.ts';
import { campaignChangedChannel } from '../redis/keys.ts';
import type { Logger } from '../shared/logger.ts';
import type { Clients } from './clients.ts';

/**
 * The sold-out snapshot cache and the pub/sub channel that keeps it honest: every change to a campaign
 * is announced, and every instance drops its snapshot of that campaign (all of them on a resubscribe).
 */
export function soldOutWithAnnouncements(config: Config, log: Logger, clients: Clients) {
  // Empty-bucket flags are short-lived hints; the snapshot is the long-lived shortcut.
  const directory = createBucketDirectory({ emptyMs: Math.min(config.SOLD_OUT_CACHE_MS, 1_000) });
  const soldOut = createSoldOutCache({
    redis: clients.router,
    keyPrefix: config.REDIS_PREFIX,
    ttlMs: config.SOLD_OUT_CACHE_MS,
    maxWinners: config.SOLD_OUT_CACHE_MAX_WINNERS,
    bucketsOf: directory.count,
    log,
  });
  const forget = (campaignId?: string) => {
    soldOut.invalidate(campaignId);
    directory.forget(campaignId);
  };
  const channel = campaignChangedChannel(config.REDIS_PREFIX);
  const subscriber = createSubscriber(
    clients.subscriberTarget,
    log,
    channel,
    (campaignId) => forget(campaignId),
    () => forget(),
  );
  const announce = async (campaignId: string) => {
    forget(campaignId);
    await clients.shared.publish(channel, campaignId);
  };
  return { soldOut, directory, announce, close: () => subscriber.disconnect() };
}
