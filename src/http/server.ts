import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { App } from './app.ts';

/** Listens on `port` (all interfaces); rejects with a clear message when the port is taken. */
export function listen(app: App, port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, (info) =>
      resolve({ server: s as Server, port: info.port }),
    ) as Server;
    s.once('error', (err) => reject(new Error(`cannot listen on port ${port}: ${err.message}`)));
    // Longer than a load balancer's idle timeout, so it is always the one to close an idle connection.
    s.keepAliveTimeout = 65_000;
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
