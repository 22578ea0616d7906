import type { MiddlewareHandler } from 'hono';
import type { Metrics } from '../../metrics/metrics.ts';
import type { AppEnv } from '../env.ts';
import type { AccessLog } from '../observe/access-log.ts';
import { BUNDLE_ROUTE, bundleOutcomeOf, CLAIM_ROUTE, claimOutcomeOf } from '../observe/claim-outcome.ts';
import { routeOf } from '../observe/route.ts';

/**
 * Times every request once: the HTTP metrics by route pattern and status (and a claim's outcome on the
 * claim route), and the access log line.
 */
export function observe(
  metrics: Metrics,
  accessLog: AccessLog,
  /** Also told each claim's answer, with its campaign id (the dashboard's outcome mix). */
  onClaim?: (campaignId: string, status: number) => void,
): MiddlewareHandler<AppEnv> {
  return async function observe(c, next) {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const route = routeOf(c);
    const { status } = c.res;
    const { method } = c.req;
    metrics.http(method, route, status, ms / 1000);
    if (route === CLAIM_ROUTE) {
      metrics.claim(claimOutcomeOf(status), ms / 1000);
      // The path is /v1/campaigns/<id>/claims.
      onClaim?.(c.req.path.split('/')[3] ?? '', status);
    } else if (route === BUNDLE_ROUTE) metrics.bundle(bundleOutcomeOf(status), ms / 1000);
    const level = accessLog.levelOf(route, status);
    if (level === null) return;
    accessLog.write(level, {
      method,
      route,
      path: c.req.path,
      status,
      durationMs: Math.round(ms * 100) / 100,
      requestId: c.get('requestId'),
      userId: c.get('userId'),
    });
  };
}
