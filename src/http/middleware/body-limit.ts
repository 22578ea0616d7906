import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';
import { AppError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { behindNodeAdapter, header } from '../headers.ts';

/**
 * Whether the request carries a body, decided without reading it. Behind the Node adapter, HTTP/1.1
 * framing answers it from the headers (no Content-Length and no Transfer-Encoding: no body), which keeps
 * the adapter from building a full web Request (streams, abort signal) the claim path does not need.
 * Elsewhere (in-process app.request(), other runtimes) the Request already exists and is asked directly.
 */
export function hasBody(c: Context): boolean {
  if (!behindNodeAdapter(c)) return c.req.raw.body !== null;
  const length = header(c, 'content-length');
  if (length !== undefined) return length !== '0';
  return header(c, 'transfer-encoding') !== undefined;
}

/**
 * Refuses bodies over `maxBytes` with 413, from Content-Length when it is given; a body without one
 * (chunked) is counted while streamed by hono's bodyLimit.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new AppError('payload_too_large', `the body must be at most ${maxBytes} bytes`);
  };
  const streaming = streamingBodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async function bodyLimit(c, next) {
    const length = header(c, 'content-length');
    if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new AppError('invalid_request', 'Content-Length is not a number');
      if (Number(length) > maxBytes) tooLarge();
      return next();
    }
    return hasBody(c) ? streaming(c, next) : next();
  };
}
