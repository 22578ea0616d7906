import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../../redis/connections.ts';
import type { AppEnv } from '../env.ts';
import { errorResponse } from '../errors.ts';

export interface AuthFailureLimiter {
  /** Until when (epoch ms) this process refuses the address without looking at its credentials. */
  blockedUntil(address: string): number;
  /** Counts one failed authentication of the address, shared by every instance (in Redis). */
  failed(address: string): Promise<void>;
}

/**
 * Failed authentications per client address, counted in Redis with rate-limiter-flexible, so a client
 * guessing tokens against several instances is stopped everywhere. Only failures are counted (a valid
 * request never pays a round trip); an address over the limit is refused (429) in memory, before its
 * credentials are even checked, until the window passes. If Redis is away, each instance counts alone.
 */
export function createAuthFailureLimiter(
  redis: RedisClient,
  keyPrefix: string,
  perMinute: number,
): AuthFailureLimiter {
  const blocked = new Map<string, number>();
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${keyPrefix}:auth-failures`,
    points: perMinute,
    duration: 60,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
  });
  return {
    blockedUntil(address) {
      const until = blocked.get(address) ?? 0;
      if (until && until <= Date.now()) blocked.delete(address);
      return until;
    },
    async failed(address) {
      try {
        await limiter.consume(address);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) return;
        if (blocked.size > 100_000) blocked.clear();
        blocked.set(address, Date.now() + res.msBeforeNext);
      }
    },
  };
}

/** Refuses an address that failed authentication too often; counts every 401 the routes behind answer. */
export function authFailureLimit(
  limiter: AuthFailureLimiter | undefined,
  addressOf: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => string | undefined,
): MiddlewareHandler<AppEnv> {
  return async function authFailureLimit(c, next) {
    const address = limiter ? addressOf(c) : undefined;
    if (!limiter || !address) return next();
    const until = limiter.blockedUntil(address);
    if (until > Date.now()) {
      return errorResponse(c, {
        code: 'rate_limited',
        message: 'too many failed authentications from this address',
        headers: { 'Retry-After': String(Math.max(1, Math.ceil((until - Date.now()) / 1000))) },
      });
    }
    await next();
    if (c.res.status === 401) await limiter.failed(address);
  };
}
