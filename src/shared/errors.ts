/**
 * Stable error codes. They cross process boundaries (HTTP bodies, logs, job failures), so they never
 * change meaning; http/errors.ts is the one place that maps them to HTTP statuses.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'campaign_not_active'
  | 'campaign_not_found'
  | 'not_found'
  | 'method_not_allowed'
  | 'already_claimed'
  | 'campaign_exists'
  | 'insufficient_stock'
  | 'sold_out'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'precondition_required'
  | 'rate_limited'
  | 'coupon_not_found'
  | 'claim_not_found'
  | 'bundle_not_found'
  | 'bundle_exists'
  | 'already_redeemed'
  | 'coupon_released'
  | 'coupon_expired'
  | 'forbidden'
  | 'internal_error'
  | 'unavailable';

/** What an error answer carries; expected outcomes build this as a plain value (no Error, no stack). */
export interface ErrorDetails {
  readonly code: ErrorCode;
  readonly message: string;
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/** An unexpected-path failure with a stable code; extra fields are merged into the JSON error body. */
export class AppError extends Error implements ErrorDetails {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A dependency (Redis or Postgres) could not be reached or answered too slowly. */
export class UnavailableError extends AppError {
  override name = 'UnavailableError';
  constructor(
    readonly dependency: 'redis' | 'postgres',
    cause?: unknown,
    message = `${dependency} is unavailable, retry shortly`,
  ) {
    super('unavailable', message, {}, { 'Retry-After': '1' });
    this.cause = cause;
  }
}
