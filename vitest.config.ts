import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The soak runs (`npm run soak`, SOAK=1) are the long versions of the load tests.
    exclude: process.env['SOAK'] === '1' ? [] : ['test/soak/**'],
    // Twin, fault and crash tests replay thousands of readings; a slow CI machine needs the headroom.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
