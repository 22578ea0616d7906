import { type Acknowledger, createAcknowledger } from '../claim/acknowledge.ts';
import type { Config } from '../config.ts';
import { type Claim, claimPlace } from '../domain/claim.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { PersistProducer } from '../queue/persist.queue.ts';
import { campaignKeys } from '../redis/keys.ts';
import { createReplicaWait, type ReplicaWait, waitCommandFor } from '../redis/replica-wait.ts';
import type { RedisNode } from '../redis/router.ts';
import type { Logger } from '../shared/logger.ts';
import { persistClaims } from '../worker/persist.worker.ts';
import type { Clients } from './clients.ts';
import type { Repos } from './services.ts';

/** What an accepted claim waits for before its answer (ACK_DURABILITY). */
export function acknowledgerFor(
  config: Config,
  log: Logger,
  metrics: Metrics,
  clients: Clients,
  repos: Repos,
  producer: PersistProducer,
  onBehind: (campaignId: string) => void,
): Acknowledger {
  // WAIT covers the writes of the connection that made them: one waiter per master's request connection.
  const waits = new Map<RedisNode, ReplicaWait>();
  const waitOn = (bucket: number, claim: Claim): ReplicaWait => {
    const { buckets } = claimPlace(claim);
    const node = clients.router.nodeFor(
      campaignKeys(config.REDIS_PREFIX, claim.campaignId, bucket, buckets).meta,
    );
    let wait = waits.get(node);
    if (!wait) {
      wait = createReplicaWait(node.gate.client, {
        replicas: 1,
        timeoutMs: config.ACK_TIMEOUT_MS,
        command: () => {
          const server = node.commandRun.server();
          return waitCommandFor(server?.version ?? '0', server?.aof ?? false);
        },
      });
      waits.set(node, wait);
    }
    return wait;
  };
  // A claim sold away from the user's home bucket wrote on two masters: the sale and the user's entry.
  const replicaWaitFor = (claim: Claim): ReplicaWait => {
    const { bucket, home } = claimPlace(claim);
    const sale = waitOn(bucket, claim);
    if (home === bucket) return sale;
    const entry = waitOn(home, claim);
    return { confirm: () => Promise.all([sale.confirm(), entry.confirm()]).then(() => {}) };
  };
  return createAcknowledger({
    mode: config.ACK_DURABILITY,
    producer,
    timeoutMs: config.ACK_TIMEOUT_MS,
    replicaWaitFor,
    persist: (claims) =>
      persistClaims(
        { repo: repos.claims, redis: clients.router, keyPrefix: config.REDIS_PREFIX, log, metrics, onBehind },
        claims,
      ),
    batchMax: config.ENQUEUE_BATCH_MAX,
  });
}
