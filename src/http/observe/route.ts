import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/** The route pattern that answered (`/v1/campaigns/:id/claims`), or `unmatched`: a bounded label. */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    // Middleware is registered for ALL methods; the handler that answered is the last route with a method.
    if (route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}
