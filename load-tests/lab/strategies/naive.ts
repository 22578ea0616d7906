import { readThenWrite } from './ledger.ts';
import type { Strategy } from './strategy.ts';

/** 1. Read, check, write back, with nothing around it: two requests that read the same stock both sell. */
export const naive: Strategy = {
  id: 'naive',
  title: '1. naive read-then-write',
  summary: 'No guarantee: concurrent requests read the same stock and both sell (lost updates, oversell).',
  multiItem: true,
  create: (ctx) => (order) => readThenWrite(ctx.sql, order),
};
