import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { errorResponse } from '../errors.ts';

const LIMITED = {
  code: 'rate_limited',
  message: 'too many attempts, slow down',
  headers: { 'Retry-After': '1' },
} as const;

/**
 * Per-user fixed one-second window, kept in this process. It protects Redis from a client hammering
 * the claim button; correctness never depends on it (the Lua script enforces the per-user limit), so a
 * per-instance count is enough: behind N instances a user gets at most N times the limit.
 */
export function rateLimit(perSecond: number, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  let window = 0;
  let counts = new Map<string, number>();
  return async function rateLimit(c, next) {
    const current = Math.floor(now() / 1000);
    if (current !== window) {
      window = current;
      counts = new Map();
    }
    const user = c.get('userId');
    const n = (counts.get(user) ?? 0) + 1;
    counts.set(user, n);
    if (n > perSecond) return errorResponse(c, LIMITED);
    await next();
  };
}
