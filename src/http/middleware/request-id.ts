import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { header } from '../headers.ts';

const ACCEPTED = /^[\w\-.:]{1,100}$/;

/** Takes the caller's X-Request-Id when it is sane, makes one otherwise, and echoes it on the answer. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const given = header(c, 'x-request-id');
    const id = given !== undefined && ACCEPTED.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
