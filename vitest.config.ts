// Test runner configuration: unit tests and integration tests (real clients against a real broker
// started in-process on ephemeral ports). Integration files run in separate forks.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
