import { conditionalUpdate } from './conditional-update.ts';
import { forUpdate } from './for-update.ts';
import { mutex } from './mutex.ts';
import { naive } from './naive.ts';
import { optimistic } from './optimistic.ts';
import { redisLock } from './redis-lock.ts';
import { redlock } from './redlock.ts';
import type { Strategy } from './strategy.ts';

/** Strategies 1-6 (3b: Redlock); the seventh is the product itself, run as its own fleet. */
export const strategies: Strategy[] = [
  naive,
  mutex,
  redisLock,
  redlock,
  optimistic,
  forUpdate,
  conditionalUpdate,
];

export function strategyById(id: string): Strategy | undefined {
  return strategies.find((s) => s.id === id);
}
