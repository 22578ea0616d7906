/**
 * The lab's verdict on one run, from what the database holds afterwards and what the clients were told.
 * Pure, so it can be checked against a constructed oversell.
 */
export interface Ledger {
  /** Stock per product before the run. */
  initial: Map<number, number>;
  /** Stock per product the store reports after the run. */
  final: Map<number, number>;
  /** Every stored order line. */
  lines: { orderId: string; userId: string; productId: number }[];
}

export interface Tally {
  /** Orders stored (distinct order ids). */
  orders: number;
  /** Units sold (order lines). */
  units: number;
  /** Units sold beyond a product's stock, summed over products (for one product: winners beyond stock). */
  oversoldUnits: number;
  productsOversold: number;
  /** Users holding more than one order (the per-user limit is one). */
  usersWithTwoOrders: number;
  /** Orders stored with fewer or more lines than they asked for (all-or-nothing broken). */
  partialOrders: number;
  /** Final stock = initial stock - units sold, for every product. */
  stockMatches: boolean;
  productsStockMismatch: number;
  /** Orders the client was told were placed but that are not stored (acknowledged and lost). */
  ackedMissing: number;
  /** Orders stored that no client was told about (e.g. answered after its timeout). */
  unacknowledged: number;
}

export function tally(ledger: Ledger, itemsPerOrder: number, acked: ReadonlySet<string>): Tally {
  const perProduct = new Map<number, number>();
  const perOrder = new Map<string, number>();
  const ordersOfUser = new Map<string, Set<string>>();
  for (const line of ledger.lines) {
    perProduct.set(line.productId, (perProduct.get(line.productId) ?? 0) + 1);
    perOrder.set(line.orderId, (perOrder.get(line.orderId) ?? 0) + 1);
    let orders = ordersOfUser.get(line.userId);
    if (!orders) {
      orders = new Set();
      ordersOfUser.set(line.userId, orders);
    }
    orders.add(line.orderId);
  }
  let oversoldUnits = 0;
  let productsOversold = 0;
  let productsStockMismatch = 0;
  for (const [product, stock] of ledger.initial) {
    const sold = perProduct.get(product) ?? 0;
    if (sold > stock) {
      oversoldUnits += sold - stock;
      productsOversold++;
    }
    if (ledger.final.get(product) !== stock - sold) productsStockMismatch++;
  }
  for (const product of perProduct.keys()) {
    // Lines for a product that was never stocked are all oversold.
    if (!ledger.initial.has(product)) {
      oversoldUnits += perProduct.get(product)!;
      productsOversold++;
      productsStockMismatch++;
    }
  }
  return {
    orders: perOrder.size,
    units: ledger.lines.length,
    oversoldUnits,
    productsOversold,
    usersWithTwoOrders: [...ordersOfUser.values()].filter((o) => o.size > 1).length,
    partialOrders: [...perOrder.values()].filter((n) => n !== itemsPerOrder).length,
    stockMatches: productsStockMismatch === 0,
    productsStockMismatch,
    ackedMissing: [...acked].filter((id) => !perOrder.has(id)).length,
    unacknowledged: [...perOrder.keys()].filter((id) => !acked.has(id)).length,
  };
}

/** True when the run broke none of the invariants the product promises. */
export function isCorrect(t: Tally): boolean {
  return (
    t.oversoldUnits === 0 &&
    t.usersWithTwoOrders === 0 &&
    t.partialOrders === 0 &&
    t.stockMatches &&
    t.ackedMissing === 0
  );
}
