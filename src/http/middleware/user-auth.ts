import type { MiddlewareHandler } from 'hono';
import { verifyJwt } from '../../auth/jwt.ts';
import { AppError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { header } from '../headers.ts';

const challenge = { 'WWW-Authenticate': 'Bearer realm="flashsale"' };

export function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message, {}, challenge);
}

/** Verifies the user's HS256 JWT and exposes its `sub` as `userId`. */
export function userAuth(secret: string): MiddlewareHandler<AppEnv> {
  return async function userAuth(c, next) {
    const value = header(c, 'authorization');
    if (!value?.startsWith('Bearer ')) throw unauthorized('a Bearer token is required');
    const result = verifyJwt(value.slice(7).trim(), secret);
    if (!result.ok) throw unauthorized(result.reason);
    c.set('userId', result.sub);
    await next();
  };
}
