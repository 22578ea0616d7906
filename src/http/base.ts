import { OpenAPIHono } from '@hono/zod-openapi';
import type { Metrics } from '../metrics/metrics.ts';
import type { Logger } from '../shared/logger.ts';
import type { AppEnv } from './env.ts';
import { errorBody, handleError } from './errors.ts';
import { allowedMethods } from './method-not-allowed.ts';
import { observe } from './middleware/observe.ts';
import { requestId } from './middleware/request-id.ts';
import { type ClaimLogSampling, createAccessLog } from './observe/access-log.ts';
import { healthRoutes, type Readiness } from './routes/health.routes.ts';

export interface BaseDeps {
  readiness: Readiness;
  log: Logger;
  metrics: Metrics;
  /** ACCESS_LOG_CLAIMS: which answers of the hot claim routes get an access log line. */
  claimLogSampling?: ClaimLogSampling;
  /** Told each claim's answer and its campaign id (the API's dashboard tally). */
  onClaim?: (campaignId: string, status: number) => void;
}

/**
 * What every role serves: request ids, the access log and HTTP metrics, JSON errors (404, and 405 with
 * Allow for a known path), and the operations routes (/healthz, /readyz, /metrics). The API adds its
 * routes on top; the worker role serves this alone.
 */
export function createBaseApp(deps: BaseDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.onError(handleError(deps.log, deps.metrics));
  const allowed = allowedMethods(app.routes);
  app.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods) {
      c.header('Allow', methods.join(', '));
      return c.json(
        errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}`, {
          allow: methods,
        }),
        405,
      );
    }
    return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
  });
  app.use(requestId());
  app.use(observe(deps.metrics, createAccessLog(deps.log, deps.claimLogSampling ?? 'all'), deps.onClaim));
  app.route('/', healthRoutes(deps.readiness, deps.metrics));
  return app;
}
