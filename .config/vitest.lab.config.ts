import { defineConfig } from 'vitest/config';

/** The strategy lab's suite (`npm run test:lab`): a tool, apart from the product's tests. */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['load-tests/lab/**/*.test.ts'],
    globalSetup: ['src/testing/test-env.config.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
