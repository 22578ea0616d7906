import { defineConfig } from 'vitest/config';

const root = new URL('..', import.meta.url).pathname;

/**
 * Files that start whole fleets of processes, kill them, or saturate the CPU on purpose, and the biggest
 * in-process race. They run one at a time after everything else, so no other file's load starves them
 * (the race's 500 ms Redis command bound would then answer 503, correctly, and fail an assertion that
 * wants none).
 */
const heavy = [
  'load-tests/chaos/*.test.ts',
  'load-tests/fleet.int.test.ts',
  'load-tests/clock.int.test.ts',
  'src/redis/failover.int.test.ts',
  'src/bundle/bundles.storm.int.test.ts',
  // Kills a Redis primary and promotes its replica; replica mode's 1 s WAIT bound must not meet a starved CPU.
  'src/claim/durability.int.test.ts',
  // 7,000 requests in one process through three instances: alone, so its 500 ms Redis bound measures Redis.
  'src/claim/claim.race.int.test.ts',
];

/** The product's suite (`npm test`). The strategy lab is a tool with a suite of its own (vitest.lab.config.ts). */
export default defineConfig({
  test: {
    root,
    globalSetup: ['src/testing/test-env.config.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['src/**/*.test.ts', 'load-tests/*.test.ts', 'load-tests/lib/**/*.test.ts'],
          exclude: heavy,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'fleets',
          include: heavy,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
