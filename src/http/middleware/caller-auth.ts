import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { verifyJwt } from '../../auth/jwt.ts';
import type { AppEnv } from '../env.ts';
import { header } from '../headers.ts';
import { unauthorized } from './user-auth.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Routes more than one kind of caller may use: the order system (SERVICE_TOKEN) and admins (ADMIN_TOKEN)
 * as `service`, and, where `users` is set, a user by their JWT (who may only act on their own coupons).
 * Tokens are compared in constant time.
 */
export function callerAuth(opts: { serviceTokens: string[]; jwtSecret?: string }): MiddlewareHandler<AppEnv> {
  const expected = opts.serviceTokens.map(digest);
  return async function callerAuth(c, next) {
    const value = header(c, 'authorization') ?? '';
    const given = value.startsWith('Bearer ') ? value.slice(7).trim() : '';
    if (!given) throw unauthorized('a Bearer token is required');
    const mine = digest(given);
    let known = false;
    for (const e of expected) known = timingSafeEqual(e, mine) || known; // every token compared, always
    if (known) {
      c.set('caller', { kind: 'service' });
      return next();
    }
    if (!opts.jwtSecret) throw unauthorized('the service token is required');
    const result = verifyJwt(given, opts.jwtSecret);
    if (!result.ok) throw unauthorized(result.reason);
    c.set('userId', result.sub);
    c.set('caller', { kind: 'user', userId: result.sub });
    await next();
  };
}
