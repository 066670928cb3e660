import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests spawn the CLI and start real servers: generous, but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
