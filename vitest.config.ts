import { defineConfig } from 'vitest/config';

// Two projects over one tree: `*.unit.test.ts` are pure or in-process tests with no server and
// no child process (`npm run test:unit`, seconds); every other test talks to real embedded
// servers, child processes or a synthesized stack. `npm test` runs both.
const shared = {
  pool: 'forks' as const,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
};

/** The unit project, also what `npm run mutate` runs (stryker.vitest.config.ts). */
export const unit = { ...shared, name: 'unit', include: ['test/**/*.unit.test.ts'], testTimeout: 30_000 };

export default defineConfig({
  test: {
    // Two test files at a time on 2 cores: most of an integration test's time is spent waiting on its
    // servers and child processes, not computing (vitest's default leaves one core idle).
    maxWorkers: 2,
    projects: [
      { test: unit },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // The soak runs (`npm run soak`, SOAK=1) are the long versions of the load tests.
          exclude: ['test/**/*.unit.test.ts', ...(process.env['SOAK'] === '1' ? [] : ['test/soak/**'])],
          // Twin, fault and crash tests replay thousands of readings; a slow CI machine needs the headroom.
          testTimeout: 180_000,
          hookTimeout: 60_000,
          // One synthesis per stack configuration per run, shared by the test files (test/support/cdk-app.ts).
          globalSetup: ['test/support/synth-cache-setup.ts'],
        },
      },
    ],
  },
});
