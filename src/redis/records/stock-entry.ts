import type { StockEntry } from '../../domain/stock.ts';

/** A journal entry of lua/adjust_stock.lua (the journal hash's values); this module is its only reader. */
export function decodeStockEntry(json: string): StockEntry {
  const e = JSON.parse(json) as Record<string, unknown>;
  for (const field of ['delta', 'at', 'totalBefore', 'totalAfter', 'remainingAfter'] as const) {
    if (typeof e[field] !== 'number') throw new Error(`malformed stock journal entry: ${json.slice(0, 200)}`);
  }
  if (typeof e.id !== 'string' || typeof e.actor !== 'string') {
    throw new Error(`malformed stock journal entry: ${json.slice(0, 200)}`);
  }
  return e as unknown as StockEntry;
}
