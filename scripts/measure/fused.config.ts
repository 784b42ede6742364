// `npx vitest run -c scripts/measure/fused.config.ts`: times the fused step against the layered plan in
// headless Chromium (scripts/measure/fused-vs-layered.browser.ts). A measurement, not a test: it is
// outside the test projects' globs, asserts nothing, and prints its figures.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumLaunchOptions } from '../../src/cli/chromium.ts';

export default defineConfig({
  server: { host: '127.0.0.1' },
  test: {
    include: ['scripts/measure/**/*.browser.ts'],
    testTimeout: 600_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: chromiumLaunchOptions() }),
      instances: [{ browser: 'chromium' as const }],
    },
  },
});
