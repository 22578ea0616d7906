import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { header } from '../headers.ts';
import { unauthorized } from './user-auth.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Admin routes take the static ADMIN_TOKEN as a Bearer token, compared in constant time. */
export function adminAuth(token: string): MiddlewareHandler<AppEnv> {
  const expected = digest(token);
  return async function adminAuth(c, next) {
    const value = header(c, 'authorization') ?? '';
    const given = value.startsWith('Bearer ') ? value.slice(7).trim() : '';
    if (!given || !timingSafeEqual(digest(given), expected))
      throw unauthorized('the admin token is required');
    await next();
  };
}
