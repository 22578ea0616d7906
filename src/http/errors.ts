import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Metrics } from '../metrics/metrics.ts';
import { AppError, type ErrorCode, type ErrorDetails, UnavailableError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/** The one place an error code becomes an HTTP status. */
export const statusOf: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  unauthorized: 401,
  campaign_not_active: 403,
  campaign_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  already_claimed: 409,
  campaign_exists: 409,
  insufficient_stock: 409,
  sold_out: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  precondition_required: 428,
  rate_limited: 429,
  coupon_not_found: 404,
  claim_not_found: 404,
  bundle_not_found: 404,
  bundle_exists: 409,
  already_redeemed: 409,
  coupon_released: 409,
  coupon_expired: 410,
  forbidden: 403,
  internal_error: 500,
  unavailable: 503,
};

export function errorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

export function errorResponse(c: Context, err: ErrorDetails): Response {
  if (err.headers) for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(errorBody(err.code, err.message, err.extra), statusOf[err.code]);
}

/**
 * app.onError: expected errors keep their code; anything else is logged with the request id and is a 500.
 * An outage would otherwise log once per request, so 503s are logged at most once a second, with a count.
 */
export function handleError(
  log: Logger,
  metrics?: Pick<Metrics, 'unavailable'>,
  now: () => number = Date.now,
) {
  let lastLogged = 0;
  let suppressed = 0;
  return function onError(err: Error, c: Context): Response {
    if (err instanceof AppError) {
      if (err instanceof UnavailableError) {
        metrics?.unavailable(err.dependency);
        if (now() - lastLogged >= 1_000) {
          const requestId = c.get('requestId');
          log.warn('dependency unavailable', { dependency: err.dependency, requestId, suppressed, err });
          lastLogged = now();
          suppressed = 0;
        } else suppressed++;
      }
      return errorResponse(c, err);
    }
    const { method, path } = c.req;
    log.error('unhandled error', { requestId: c.get('requestId'), method, path, err });
    return c.json(errorBody('internal_error', 'internal error'), 500);
  };
}
