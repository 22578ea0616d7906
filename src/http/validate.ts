import type { Context } from 'hono';
import { z } from 'zod';
import { CAMPAIGN_ID, CAMPAIGN_ID_RULE } from '../domain/campaign.ts';
import { AppError } from '../shared/errors.ts';
import { header } from './headers.ts';
import { hasBody } from './middleware/body-limit.ts';

function invalid(message: string, issues?: z.core.$ZodIssue[]): AppError {
  const details = issues?.map((i) => ({ path: i.path.join('.'), message: i.message }));
  return new AppError('invalid_request', message, details ? { details } : {});
}

/** The body as text; a client that goes away mid-body (or is cut off for being slow) is a 400, not a 500. */
async function readBody(c: Context): Promise<string> {
  try {
    return await c.req.text();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('invalid_request', 'the request body was cut off before it ended');
  }
}

/**
 * Reads a JSON body and validates it. An empty body counts as `{}` when `allowEmpty`, so a claim can be
 * posted without one. Malformed JSON, a non-JSON content type, wrong types and unknown fields are 400s.
 */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  opts: { allowEmpty?: boolean } = {},
): Promise<z.output<S>> {
  // A request without a body is not read at all (reading materialises a full web Request).
  const text = hasBody(c) ? await readBody(c) : '';
  let value: unknown = {};
  if (text.trim().length > 0) {
    const type = header(c, 'content-type') ?? '';
    if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
      throw new AppError('unsupported_media_type', 'send the body as application/json');
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid('body is not valid JSON');
    }
  } else if (!opts.allowEmpty) {
    throw invalid('a JSON body is required');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid('body does not match the expected shape', parsed.error.issues);
  return parsed.data;
}

/** Path and header values as the OpenAPI document describes them (the checks below use the same rules). */
export const campaignIdSchema = z
  .string()
  .regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE)
  .meta({ example: 'spring-sale' });

export function campaignIdParam(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!CAMPAIGN_ID.test(id)) throw invalid(CAMPAIGN_ID_RULE);
  return id;
}

export const bundleIdSchema = z
  .string()
  .regex(CAMPAIGN_ID, CAMPAIGN_ID_RULE.replace('campaign', 'bundle'))
  .meta({ example: 'starter-pack' });

export function bundleIdParam(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!CAMPAIGN_ID.test(id)) throw invalid(CAMPAIGN_ID_RULE.replace('campaign', 'bundle'));
  return id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const claimIdSchema = z.string().regex(UUID).meta({ format: 'uuid' });

export function claimIdParam(c: Context): string {
  const id = c.req.param('claimId') ?? '';
  if (!UUID.test(id)) throw invalid('claim id must be a UUID');
  return id.toLowerCase();
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
export const idempotencyKeySchema = z
  .string()
  .regex(IDEMPOTENCY_KEY)
  .describe('1 to 128 visible ASCII characters; the same key again replays the first answer');

export function idempotencyKeyHeader(c: Context): string | undefined {
  const key = header(c, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw invalid('Idempotency-Key must be 1 to 128 visible ASCII characters');
  return key;
}

/** The body of a claim: nothing is required, and nothing unknown is accepted. */
export const emptyBody = z.strictObject({});
