// The end-to-end pass in Firefox and WebKit, run by `cargo xtask test` (stage d) against the
// release build for GitHub Pages in dist-pages/foldlab/. Playwright cannot drive Debian's
// firefox-esr or WebKitGTK's MiniBrowser, so these specs use Playwright's runner only (fixtures,
// expect, reporters) and drive the browser with WebdriverIO through the engine's own WebDriver
// server, which the fixture in support/engine.ts starts (see README.md, "Engines").
import { defineConfig } from '@playwright/test';
import type { EngineOptions } from './support/engine';

// The same variable as the Chromium pass, so a checkout keeps to its own ports.
const port = Number(process.env.FOLDLAB_E2E_PORT ?? 4173);

export default defineConfig<EngineOptions>({
  testDir: '.',
  testMatch: '*.spec.ts',
  // One browser at a time. In CI a failed test runs once more in a new session, and is named at
  // the end of the log if it passed then (see playwright.config.ts): WebKitGTK's browser has quit
  // in the middle of a test by itself ("invalid session id", 5 December 2026).
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  outputDir: '../../test-results/engines',
  reporter: [['list'], ['../e2e/support/summary-reporter.ts']],
  use: { baseURL: `http://127.0.0.1:${port}/foldlab/` },
  projects: [
    { name: 'firefox', use: { engine: 'firefox' } },
    { name: 'webkit', use: { engine: 'webkit' }, testIgnore: 'firefox.spec.ts' },
  ],
  webServer: {
    command: 'node tests/e2e/support/pages-server.mjs',
    cwd: '../..',
    url: `http://127.0.0.1:${port}/foldlab/`,
    env: { PORT: String(port) },
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
