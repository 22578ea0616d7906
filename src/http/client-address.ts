import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { header } from './headers.ts';

/**
 * The client's address, for the per-address limits: the socket's peer, or, behind `trustedHops`
 * proxies, the address the outermost of them saw (X-Forwarded-For is appended to by each proxy, so the
 * n-th entry from the right is the one a client cannot forge). Undefined in-process (app.request()).
 */
export function clientAddress(c: Context, trustedHops: number): string | undefined {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress;
  if (trustedHops <= 0) return peer;
  const forwarded = (header(c, 'x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustedHops] ?? peer;
}
