import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
import { defineScripts } from './scripts/index.ts';

/** A connection the scripts run on: one server, or a whole cluster (ioredis routes by key). */
export type RedisClient = Redis | Cluster;

/**
 * Request-path connection: never queues commands while disconnected, so a Redis outage turns into a fast
 * 503 instead of a hanging request (slow replies are bounded by the RedisGate). Scripts are registered on it.
 */
export function createCommandRedis(url: string, log: Logger, name = 'commands'): Redis {
  const redis = new Redis(url, {
    connectionName: `fs-${name}`,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    // A claim must never be sent twice by the client library; callers decide what to retry.
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
  });
  watch(redis, log, name);
  return defineScripts(redis);
}

const BACKGROUND: RedisOptions = {
  maxRetriesPerRequest: null,
  retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
};

/**
 * Connection for BullMQ workers and background jobs: these may wait for Redis to come back
 * (BullMQ requires maxRetriesPerRequest: null for workers).
 */
export function createBackgroundRedis(
  url: string,
  log: Logger,
  name: string,
  extra: RedisOptions = {},
): Redis {
  const redis = new Redis(url, { connectionName: `fs-${name}`, ...BACKGROUND, ...extra });
  watch(redis, log, name);
  return defineScripts(redis);
}

/** Parses REDIS_CLUSTER_NODES (`host:port,host:port`). */
export function clusterSeeds(nodes: string): { host: string; port: number }[] {
  return nodes
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => {
      const at = n.lastIndexOf(':');
      return { host: n.slice(0, at), port: Number(n.slice(at + 1)) };
    });
}

/**
 * A cluster client for what follows the cluster's own routing: BullMQ (its queue keys share one hash
 * tag), publishing, the subscriber. Waits for the cluster rather than failing fast, like the background
 * connection it stands in for.
 */
export function createClusterClient(nodes: string, log: Logger, name: string): Cluster {
  const cluster = new Cluster(clusterSeeds(nodes), {
    redisOptions: { connectionName: `fs-${name}`, ...BACKGROUND },
    clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    slotsRefreshInterval: 2_000,
    // Ride out a failover (a few seconds of CLUSTERDOWN and redirections) instead of failing the queue.
    maxRedirections: 100,
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
  });
  watch(cluster, log, name);
  defineScripts(cluster);
  return cluster;
}

/**
 * A subscriber for one channel (a cluster broadcasts a PUBLISH to every node, so any node's subscriber
 * hears it). Every (re)subscription calls `onSubscribed`: messages published while the connection was
 * down are lost, so whatever they would have invalidated must be dropped then.
 */
export function createSubscriber(
  target: { url: string } | { clusterNodes: string },
  log: Logger,
  channel: string,
  onMessage: (message: string) => void,
  onSubscribed: () => void,
): RedisClient {
  const redis: RedisClient =
    'url' in target
      ? new Redis(target.url, { connectionName: 'fs-subscriber', ...BACKGROUND })
      : new Cluster(clusterSeeds(target.clusterNodes), {
          redisOptions: { connectionName: 'fs-subscriber', ...BACKGROUND },
          slotsRefreshInterval: 2_000,
        });
  watch(redis, log, 'subscriber');
  redis.on('ready', () => {
    redis
      .subscribe(channel)
      .then(onSubscribed, (err: unknown) => log.warn('subscribe failed', { channel, err }));
  });
  redis.on('message', (ch: string, message: string) => {
    if (ch === channel) onMessage(message);
  });
  return redis;
}

/** Logs connection errors at most once per state change instead of once per reconnect attempt. */
function watch(redis: RedisClient, log: Logger, name: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn('redis connection error', { connection: name, err: err.message });
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection restored', { connection: name });
    down = false;
  });
}
