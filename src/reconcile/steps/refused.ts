import type { PassContext } from '../context.ts';

/**
 * Claims Postgres refused to store (filed by the worker with the reason): acknowledged claims the ledger
 * will never hold. Each is reported by id until an operator has dealt with it (see the README's drift
 * playbook); they never block anyone else's claims or a pass.
 */
export async function reportRefused(ctx: PassContext): Promise<void> {
  const { keys } = ctx;
  const count = await ctx.redis.hlen(keys.refused);
  if (count === 0) return;
  const [, fields] = await ctx.redis.hscan(keys.refused, '0', 'COUNT', 100);
  const claims: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length && i < 100; i += 2) claims[fields[i]!] = fields[i + 1]!;
  ctx.violations.push({
    invariant: 'refused',
    message: `${count} acknowledged claims were refused by Postgres (conflict, over stock, or a value it cannot store)`,
    values: { count, claims },
    repaired: false,
  });
}
