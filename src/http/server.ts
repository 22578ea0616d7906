import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { App } from './app.ts';

/** The port could not be taken (in use, or not allowed): a start-up failure with a clear message. */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly port: number,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(
      cause.code === 'EADDRINUSE'
        ? `port ${port} is already in use (set PORT to a free one)`
        : `cannot listen on port ${port}: ${cause.message}`,
    );
  }
}

export interface ServerLimits {
  maxConnections: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

/**
 * Listens on `port` (all interfaces); rejects with a clear message when the port is taken. The limits a
 * public endpoint needs: a cap on open connections, and a deadline for a request's headers and for the
 * whole request, so a client trickling a body cannot hold a connection (Node's default is 300 s).
 */
export function listen(
  app: Pick<App, 'fetch'>,
  port: number,
  limits: ServerLimits,
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const serverOptions = {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      // How often Node looks for requests past those deadlines (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      // Longer than a load balancer's idle timeout, so it is always the one to close an idle connection.
      keepAliveTimeout: 65_000,
    };
    const s = serve({ fetch: app.fetch, port, hostname: '0.0.0.0', serverOptions }, (info) =>
      resolve({ server: s as Server, port: info.port }),
    ) as Server;
    s.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(port, err)));
    s.maxConnections = limits.maxConnections;
  });
}

/**
 * server.close() waits for in-flight requests, but idle keep-alive sockets would hold it open until the
 * client's timeout; close those as they go idle, and everything at the deadline.
 */
export async function closeServer(server: Server, deadline: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => {
    server.closeIdleConnections();
    if (Date.now() >= deadline) server.closeAllConnections();
  }, 50);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
  }
}
