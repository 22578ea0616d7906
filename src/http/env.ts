import type { Caller } from '../coupon/coupon.service.ts';

export type AppEnv = {
  Variables: { requestId: string; userId: string; caller: Caller };
};
