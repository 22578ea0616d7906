import { defineConfig } from 'vitest/config';

/** The product's suite (`npm test`). The strategy lab is a tool with a suite of its own (vitest.lab.config.ts). */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: [
      'src/**/*.test.ts',
      'load-tests/*.test.ts',
      'load-tests/lib/**/*.test.ts',
      'load-tests/chaos/*.test.ts',
    ],
    globalSetup: ['src/testing/test-env.config.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
