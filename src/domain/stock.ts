/** A stock change as Redis applied it (lua/adjust_stock.lua journals it; Postgres records it after). */
export interface StockEntry {
  id: string;
  delta: number;
  actor: string;
  at: number;
  totalBefore: number;
  totalAfter: number;
  remainingAfter: number;
  /** Part of an operator's change spread over buckets: that change's id, and the bucket (totals are its). */
  group?: string;
  bucket?: number;
}
