import type { RouteConfig } from '@hono/zod-openapi';
import { type ZodType, z } from 'zod';
import type { ErrorCode } from '../../shared/errors.ts';
import { statusOf } from '../errors.ts';

/** Building blocks of the route descriptions: bodies, answers, refusals by error code, credentials. */

type Responses = RouteConfig['responses'];

export const json = (schema: ZodType) => ({ 'application/json': { schema } });

/** A JSON request body (required unless `optional`). */
export const jsonBody = (schema: ZodType, opts: { optional?: boolean; description?: string } = {}) => ({
  body: { content: json(schema), required: !opts.optional, description: opts.description },
});

type Headers = z.ZodObject;
const retryAfter = z.object({ 'Retry-After': z.string().describe('seconds to wait before retrying') });
const challenge = z.object({ 'WWW-Authenticate': z.string().describe('Bearer realm="flashsale"') });
export const etagHeader = z.object({
  ETag: z.string().describe("the campaign's version, quoted: send it back in If-Match"),
});

/** A successful JSON answer. */
export function ok(status: 200 | 201, description: string, schema: ZodType, headers?: Headers): Responses {
  const response = { description, content: json(schema), ...(headers ? { headers } : {}) };
  return { [String(status)]: response };
}

/** What each error code means to a client (the status comes from http/errors.ts). */
const MEANING: Record<ErrorCode, string> = {
  invalid_request: 'the request is malformed (path, header, query or body)',
  unauthorized: 'the credential is missing or wrong',
  campaign_not_active: 'the campaign is not open: `reason` says not_started, ended or paused',
  campaign_not_found: 'no such campaign',
  not_found: 'no such route',
  method_not_allowed: 'the path exists, the method does not: `Allow` lists those it takes',
  already_claimed:
    'the user already holds as many coupons as allowed: `claimIds` lists them (for a gift pack, `campaignIds` names the campaigns)',
  campaign_exists: 'a campaign with this id exists',
  insufficient_stock: 'removing that much would take remaining below 0: `remaining` says what is left',
  sold_out: 'every coupon has been claimed (for a gift pack, `campaignIds` names the campaigns that ran out)',
  precondition_failed: 'If-Match does not match the current version (`currentVersion`)',
  payload_too_large: 'the body is over 16 KiB',
  unsupported_media_type: 'the body is not application/json',
  precondition_required: 'If-Match is required',
  rate_limited: 'too many attempts (or failed authentications from this address): see Retry-After',
  coupon_not_found: 'no such coupon (or not yours)',
  claim_not_found: 'no such claim (or not yours)',
  bundle_not_found: 'no such bundle',
  bundle_exists: 'a bundle with this id exists',
  already_redeemed: 'the coupon was redeemed (for another order)',
  coupon_released: 'the coupon was given back',
  coupon_expired: 'the coupon expired',
  forbidden: 'this credential may not do that',
  internal_error: 'an unexpected failure (logged with the request id)',
  unavailable: 'Redis or Postgres is unreachable, or the campaign is being restored: retry shortly',
};

const instant = z.iso.datetime({ offset: true });

/** Fields some codes add to the error object. */
// A gift pack's refusals name the campaigns they are about (`campaignIds`).
const campaignIds = z.array(z.string());
const EXTRAS: Partial<Record<ErrorCode, Record<string, ZodType>>> = {
  already_claimed: { claimIds: z.array(z.uuid()), campaignIds },
  campaign_not_active: { reason: z.enum(['not_started', 'ended', 'paused']), campaignIds },
  campaign_not_found: { campaignIds },
  sold_out: { campaignIds },
  invalid_request: {
    details: z.array(z.strictObject({ path: z.string(), message: z.string() })),
    campaignIds,
  },
  precondition_failed: { currentVersion: z.number().int() },
  insufficient_stock: { remaining: z.number().int().nonnegative() },
  coupon_expired: { expiresAt: instant.nullable() },
};

/** `{"error": {"code", "message", ...}}` for the given codes. */
export function errorSchema(codes: [ErrorCode, ...ErrorCode[]]) {
  const extras: Record<string, ZodType> = {};
  for (const code of codes) for (const [k, v] of Object.entries(EXTRAS[code] ?? {})) extras[k] = v.optional();
  return z.strictObject({
    error: z.strictObject({ code: z.enum(codes), message: z.string(), ...extras }),
  });
}

/** The error answers of a route, grouped by the status each code maps to. */
export function refusals(...codes: ErrorCode[]): Responses {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statusOf[code], [...(byStatus.get(statusOf[code]) ?? []), code]);
  const out: Responses = {};
  for (const [status, list] of byStatus) {
    const headers = status === 429 || status === 503 ? retryAfter : status === 401 ? challenge : undefined;
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${MEANING[c]}`).join('; '),
      content: json(errorSchema(list as [ErrorCode, ...ErrorCode[]])),
      ...(headers ? { headers } : {}),
    };
  }
  return out;
}

/** The credentials (names of components.securitySchemes). */
export const SECURITY_SCHEMES = {
  user: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'HS256 JWT; `sub` is the user id',
  },
  service: { type: 'http', scheme: 'bearer', description: "SERVICE_TOKEN, the order system's credential" },
  admin: { type: 'http', scheme: 'bearer', description: "ADMIN_TOKEN, the operators' credential" },
} as const;

type Security = Record<string, string[]>[];
export const asUser: Security = [{ user: [] }];
export const asAdmin: Security = [{ admin: [] }];
export const asService: Security = [{ service: [] }, { admin: [] }];
export const asOwnerOrAdmin: Security = [{ user: [] }, { admin: [] }];
export const asAnyCaller: Security = [{ service: [] }, { admin: [] }, { user: [] }];

/** Refusals every authenticated /v1 route can give. */
export const AUTHENTICATED: ErrorCode[] = ['unauthorized', 'rate_limited'];
/** Refusals of a route that reads a JSON body. */
export const WITH_BODY: ErrorCode[] = ['invalid_request', 'payload_too_large', 'unsupported_media_type'];
