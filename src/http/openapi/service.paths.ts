import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { couponCodeSchema, redeemBody } from '../routes/coupons.routes.ts';
import { couponViewSchema } from '../views.schema.ts';
import { AUTHENTICATED, asAnyCaller, asService, jsonBody, ok, refusals, WITH_BODY } from './responses.ts';

/** The order system's routes (SERVICE_TOKEN; the admin token works too). */

const coupon = z.object({ code: couponCodeSchema.describe('case-insensitive') });
const couponBody = z.strictObject({ coupon: couponViewSchema });

export const servicePaths = [
  createRoute({
    method: 'get',
    path: '/v1/coupons/{code}',
    tags: ['service'],
    summary: 'Look a coupon up',
    description: "The owner's user JWT may read their own coupon; another user's answers 404.",
    security: asAnyCaller,
    request: { params: coupon },
    responses: {
      ...ok(200, 'the coupon', couponBody),
      ...refusals('invalid_request', ...AUTHENTICATED, 'coupon_not_found', 'unavailable'),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/coupons/{code}/redeem',
    tags: ['service'],
    summary: 'Redeem a coupon for an order',
    description:
      'Exactly once across every instance; the same orderId again answers 200 with the same body. Works ' +
      'while the claim is still pending in Redis.',
    security: asService,
    request: { params: coupon, ...jsonBody(redeemBody) },
    responses: {
      ...ok(200, 'redeemed', couponBody),
      ...refusals(
        ...WITH_BODY,
        ...AUTHENTICATED,
        'coupon_not_found',
        'already_redeemed',
        'coupon_released',
        'coupon_expired',
        'unavailable',
      ),
    },
  }),
];
