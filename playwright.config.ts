// Playwright configuration for Foldlab's end-to-end tests, run by `cargo xtask test` (stage d)
// against the release build for GitHub Pages in dist-pages/foldlab/.
import { defineConfig } from '@playwright/test';

// The same flags the wasm-bindgen tests use (crates/store/webdriver.json): headless without a
// sandbox or GPU, and without Chromium's background traffic, which cannot reach anything here.
const chromiumFlags = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// FOLDLAB_E2E_PORT lets several checkouts run their e2e tests at once without sharing a server.
const port = Number(process.env.FOLDLAB_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'tests/e2e',
  // One worker: the app keeps state in the browser's storage. In CI a failed test runs once
  // more, in a fresh browser context; one that passes then is still named at the end of the log
  // ("e2e passed on a second try: …", with its first error), so a flaky test is seen, and a
  // failure of ours fails twice. Locally it fails at once.
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  outputDir: 'test-results',
  reporter: [['list'], ['./tests/e2e/support/summary-reporter.ts']],
  use: {
    baseURL: `http://127.0.0.1:${port}/foldlab/`,
    // Playwright cannot download its own browser here; Debian's chromium is installed by xtask.
    browserName: 'chromium',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumFlags },
    trace: 'retain-on-failure',
  },
  webServer: {
    // Serves dist-pages/ the way GitHub Pages serves a project site (see the script).
    command: 'node tests/e2e/support/pages-server.mjs',
    url: `http://127.0.0.1:${port}/foldlab/`,
    env: { PORT: String(port) },
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
