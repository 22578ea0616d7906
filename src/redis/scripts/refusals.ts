/**
 * The refusal codes every script that sells shares (lua/claim.lua numbers them; claim_foreign.lua,
 * reserve_unit.lua and claim_pack.lua use the same numbers), decoded once.
 */
export const SALE_REFUSALS = {
  [-1]: { kind: 'not_found' },
  [-2]: { kind: 'not_active', reason: 'not_started' },
  [-3]: { kind: 'not_active', reason: 'ended' },
  [-4]: { kind: 'not_active', reason: 'paused' },
  [-6]: { kind: 'sold_out' },
  [-7]: { kind: 'rebuilding' },
} as const;

export type SaleRefusal = (typeof SALE_REFUSALS)[keyof typeof SALE_REFUSALS];

/** The shared refusal a code stands for, if it is one. */
export const saleRefusal = (code: number): SaleRefusal | undefined =>
  (SALE_REFUSALS as Record<number, SaleRefusal>)[code];
