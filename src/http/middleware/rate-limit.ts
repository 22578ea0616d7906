import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';

/**
 * Per-user fixed one-second window, kept in this process. It protects Redis from a client hammering
 * the claim button; correctness never depends on it (the Lua script enforces the per-user limit), so a
 * per-instance count is enough: behind N instances a user gets at most N times the limit.
 */
export function rateLimit(perSecond: number, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  let window = 0;
  let counts = new Map<string, number>();
  return async function rateLimit(c, next) {
    const t = now();
    const current = Math.floor(t / 1000);
    if (current !== window) {
      window = current;
      counts = new Map();
    }
    const user = c.get('userId');
    const n = (counts.get(user) ?? 0) + 1;
    counts.set(user, n);
    if (n > perSecond) {
      throw new AppError('rate_limited', 'too many attempts, slow down', {}, { 'Retry-After': '1' });
    }
    await next();
  };
}
