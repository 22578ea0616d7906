import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
import { defineScripts } from './scripts/index.ts';

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
  const redis = new Redis(url, {
    connectionName: `fs-${name}`,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    ...extra,
  });
  watch(redis, log, name);
  return defineScripts(redis);
}

/**
 * A subscriber for one channel. Every (re)subscription calls `onSubscribed`: messages published while
 * the connection was down are lost, so whatever they would have invalidated must be dropped then.
 */
export function createSubscriber(
  url: string,
  log: Logger,
  channel: string,
  onMessage: (message: string) => void,
  onSubscribed: () => void,
): Redis {
  const redis = new Redis(url, {
    connectionName: 'fs-subscriber',
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
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
function watch(redis: Redis, log: Logger, name: string): void {
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
