import { Hono } from 'hono';
import { z } from 'zod';
import type { CouponAnswer, CouponService } from '../../coupon/coupon.service.ts';
import { COUPON_CODE, ORDER_ID } from '../../domain/coupon.ts';
import { AppError } from '../../shared/errors.ts';
import type { AppEnv } from '../env.ts';
import { callerAuth } from '../middleware/caller-auth.ts';
import { readJson } from '../validate.ts';
import { couponView } from '../views.ts';

export const redeemBody = z.strictObject({
  orderId: z.string().regex(ORDER_ID, 'orderId must be 1 to 128 visible ASCII characters'),
});

export const couponCodeSchema = z.string().regex(COUPON_CODE).meta({ example: 'K7QX-3M9P-TR2D-8HVA-0B4C' });

function codeParam(raw: string | undefined): string {
  const code = (raw ?? '').toUpperCase();
  if (!COUPON_CODE.test(code))
    throw new AppError('invalid_request', 'not a coupon code (groups of 4 of 0-9 A-Z without I, L, O, U)');
  return code;
}

const body = (a: CouponAnswer) => ({ coupon: couponView(a.coupon, a.status) });

/** The order system's routes: look a coupon up, redeem it (exactly once). The owner may look theirs up. */
export function couponsRoutes(deps: { coupons: CouponService; serviceTokens: string[]; jwtSecret: string }) {
  const app = new Hono<AppEnv>();
  const anyone = callerAuth({ serviceTokens: deps.serviceTokens, jwtSecret: deps.jwtSecret });
  const service = callerAuth({ serviceTokens: deps.serviceTokens });

  app.get('/coupons/:code', anyone, async (c) =>
    c.json(body(await deps.coupons.lookup(codeParam(c.req.param('code')), c.get('caller')))),
  );

  app.post('/coupons/:code/redeem', service, async (c) => {
    const code = codeParam(c.req.param('code'));
    const { orderId } = await readJson(c, redeemBody);
    return c.json(body(await deps.coupons.redeem(code, orderId)));
  });

  return app;
}
