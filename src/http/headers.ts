import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/**
 * Reads a request header (name in lower case). Behind the Node adapter it reads Node's own parsed
 * headers, a plain object: asking the web Request instead builds a full Headers object and converts
 * every header of the request, a cost a claim would pay four or five times per request.
 */
export function header(c: Context, name: string): string | undefined {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** True when the request runs behind the Node adapter (so HTTP/1.1 framing rules describe its body). */
export function behindNodeAdapter(c: Context): boolean {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming !== undefined;
}
