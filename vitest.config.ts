import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two files at a time keeps PostgreSQL and the servers under test responsive.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
