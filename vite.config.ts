import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumLaunchOptions } from './src/cli/chromium.ts';
import { requirePythonWithTorch } from './src/cli/python.ts';

// Test projects: 'browser' runs kernel and end-to-end GPU tests in headless Chromium (WebGPU on
// whatever adapter the machine has: SwiftShader on CI), 'node' runs parsers, the CPU reference and the CLI,
// 'e2e' drives the built web app (index.html) in Chromium.
// Headless Chromium with WebGPU (src/cli/chromium.ts has the flags), for both browser projects; a
// fresh object each time, since Vitest names the instances in place.
const browser = () => ({
  enabled: true,
  headless: true,
  screenshotFailures: false,
  provider: playwright({ launchOptions: chromiumLaunchOptions() }),
  instances: [{ browser: 'chromium' as const }],
});

// The PyTorch export's tests run Python with torch: without it, stop at once with one line (as without
// Chromium) rather than fail those tests one by one. Tests only: building or serving the app needs no Python.
if (process.env.VITEST) requirePythonWithTorch();

export default defineConfig({
  server: { host: '127.0.0.1' },
  test: {
    // The JSON report lets .ci/run print its own 'tests: N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          testTimeout: 120_000,
          browser: browser(),
        },
      },
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          // Heap measurements: after every other project (groupOrder 2), alone in its browser, since the
          // heap is the renderer's and other test files in it would add to it.
          name: 'browser-alone',
          include: ['tests/browser-alone/**/*.test.ts'],
          testTimeout: 120_000,
          sequence: { groupOrder: 2 },
          browser: browser(),
        },
      },
      {
        extends: true,
        test: {
          // The web app end to end: builds the site, serves it, drives headless Chromium with Playwright.
          // Runs after the other projects (groupOrder) so it does not compete with them for the CPU.
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
