import { defineConfig } from 'vitest/config';

/** Test files that call the core in-process: seconds, no build. Every other test file is end-to-end. */
/** A user template renders in a worker thread, whose script in src/ is TypeScript: tests import src/ too. */
const TYPESCRIPT_WORKERS = ['--import', new URL('./test/helpers/typescript-loader.mjs', import.meta.url).href];

const UNIT = [
  'test/answers.test.ts',
  'test/engine.test.ts',
  'test/env.test.ts',
  'test/fields.test.ts',
  'test/fs-changes.test.ts',
  'test/ini.test.ts',
  'test/malformed-input.test.ts',
  'test/names.test.ts',
  'test/releaseignore.test.ts',
  'test/run-core.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      // Differential tests start Python once per batch: seconds, but a loaded machine may stretch them.
      { test: { name: 'unit', include: UNIT, testTimeout: 30_000, execArgv: TYPESCRIPT_WORKERS } },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          execArgv: TYPESCRIPT_WORKERS,
          // Builds once, before any end-to-end test spawns the CLI: never a stale build.
          globalSetup: ['test/helpers/build-once.ts'],
          // They spawn the CLI and start real servers: generous, but bounded.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
