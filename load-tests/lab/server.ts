import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type postgres from 'postgres';
import { z } from 'zod';
import { Admission } from './admission.ts';
import { strategies } from './strategies/index.ts';
import { type Counters, newCounters, type Order, type Outcome } from './strategies/strategy.ts';

const orderBody = z.object({
  orderId: z.string().min(1).max(100),
  userId: z.string().min(1).max(100),
  items: z.array(z.number().int().min(1).max(100_000)).min(1).max(200),
});

const STATUS: Record<Outcome, 201 | 409 | 410 | 429> = {
  placed: 201,
  already_claimed: 409,
  sold_out: 410,
  gave_up: 429,
};

/**
 * The lab's app (a 503 `overloaded` is a request that waited longer than maxWaitMs for its turn): every strategy mounted side by side (`POST /s/:strategy/orders`), so one set of processes
 * serves every run and only the path picks the technique. Counters are per process; the harness sums them.
 */
export function createLabApp(deps: {
  sql: postgres.Sql;
  redis: Redis;
  keyPrefix: string;
  /** Independent Redis masters for the Redlock strategy; without them it answers 500. */
  redlock?: Redis[];
  /** Requests working at once (the database pool's size) and the longest wait for a turn. */
  slots: number;
  maxWaitMs: number;
}) {
  const admission = new Admission(deps.slots, deps.maxWaitMs);
  const handlers = new Map(
    strategies.map((s) => {
      const counters = newCounters();
      return [s.id, { counters, place: s.create({ ...deps, redlock: deps.redlock ?? [], counters }) }];
    }),
  );
  const app = new Hono();
  app.get('/readyz', (c) => c.json({ ok: true }));
  app.get('/stats', (c) =>
    c.json({
      inFlight: admission.inFlight,
      counters: Object.fromEntries([...handlers].map(([id, h]) => [id, h.counters] as [string, Counters])),
    }),
  );
  app.post('/reset', (c) => {
    for (const h of handlers.values()) Object.assign(h.counters, newCounters());
    return c.body(null, 204);
  });
  app.post('/s/:strategy/orders', async (c) => {
    const handler = handlers.get(c.req.param('strategy'));
    if (!handler) return c.json({ error: 'unknown_strategy' }, 404);
    const parsed = orderBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return c.json({ error: 'invalid_body', detail: parsed.error.issues[0]?.message }, 400);
    // Sorted and distinct: the lock order the strategies rely on is the server's to enforce.
    const order: Order = { ...parsed.data, items: [...new Set(parsed.data.items)].sort((a, b) => a - b) };
    try {
      const outcome = await admission.run(
        () => handler.place(order),
        () => 'shed' as const,
      );
      if (outcome === 'shed') return c.json({ error: 'overloaded' }, 503);
      return c.json({ outcome }, STATUS[outcome]);
    } catch (err) {
      console.error(`${c.req.param('strategy')}: ${(err as Error).message}`);
      return c.json({ error: 'internal' }, 500);
    }
  });
  return app;
}
