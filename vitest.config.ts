import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          globalSetup: ['test/helpers/redis-global-setup.ts'],
          include: ['test/**/*.test.ts'],
          exclude: ['test/cluster/**'],
        },
      },
      {
        // Real process trees: one file at a time on this 2-core machine, with room for slow starts.
        test: {
          name: 'cluster',
          globalSetup: ['test/helpers/redis-global-setup.ts'],
          include: ['test/cluster/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
