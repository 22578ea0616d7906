import { describe, expect, it } from 'vitest';
import { isCorrect, type Ledger, tally } from './count.ts';

const line = (orderId: string, userId: string, productId = 1) => ({ orderId, userId, productId });

describe('tally', () => {
  it('a clean sale: every unit within stock, stock consistent, every ack stored', () => {
    const ledger: Ledger = {
      initial: new Map([[1, 3]]),
      final: new Map([[1, 0]]),
      lines: [line('a', 'u1'), line('b', 'u2'), line('c', 'u3')],
    };
    const t = tally(ledger, 1, new Set(['a', 'b', 'c']));
    expect(t).toEqual({
      orders: 3,
      units: 3,
      oversoldUnits: 0,
      productsOversold: 0,
      usersWithTwoOrders: 0,
      partialOrders: 0,
      stockMatches: true,
      productsStockMismatch: 0,
      ackedMissing: 0,
      unacknowledged: 0,
    });
    expect(isCorrect(t)).toBe(true);
  });

  it('a constructed oversell: two winners beyond stock, one user twice, lost updates on the stock', () => {
    // Stock 3; five orders stored, user u2 won twice; the racing writes left stock at 1 instead of -2.
    const ledger: Ledger = {
      initial: new Map([[1, 3]]),
      final: new Map([[1, 1]]),
      lines: [line('a', 'u1'), line('b', 'u2'), line('c', 'u2'), line('d', 'u3'), line('e', 'u4')],
    };
    const t = tally(ledger, 1, new Set(['a', 'b', 'c', 'd', 'e']));
    expect(t.oversoldUnits).toBe(2);
    expect(t.productsOversold).toBe(1);
    expect(t.usersWithTwoOrders).toBe(1);
    expect(t.stockMatches).toBe(false);
    expect(isCorrect(t)).toBe(false);
  });

  it('multi-item: counts oversell per product, partial orders, lost acks and unacknowledged orders', () => {
    const ledger: Ledger = {
      initial: new Map([
        [1, 1],
        [2, 2],
        [3, 5],
      ]),
      final: new Map([
        [1, -1],
        [2, 0],
        [3, 5],
      ]),
      // Orders of two items each: x and y are whole, z lost one of its lines.
      lines: [
        line('x', 'u1', 1),
        line('x', 'u1', 2),
        line('y', 'u2', 1),
        line('y', 'u2', 2),
        line('z', 'u3', 1),
      ],
    };
    const t = tally(ledger, 2, new Set(['x', 'w']));
    expect(t.oversoldUnits).toBe(2); // product 1: 3 sold of 1
    expect(t.productsOversold).toBe(1);
    expect(t.partialOrders).toBe(1);
    // Product 1 ends at -1 but 3 sold of 1 means -2; product 2 is right; product 3 untouched.
    expect(t.productsStockMismatch).toBe(1);
    expect(t.ackedMissing).toBe(1); // w was acknowledged and is not stored
    expect(t.unacknowledged).toBe(2); // y and z are stored but nobody was told
    expect(isCorrect(t)).toBe(false);
  });

  it('lines for a product that was never stocked are all oversold', () => {
    const t = tally(
      { initial: new Map([[1, 1]]), final: new Map([[1, 1]]), lines: [line('a', 'u1', 9)] },
      1,
      new Set(),
    );
    expect(t.oversoldUnits).toBe(1);
    expect(t.stockMatches).toBe(false);
  });
});
