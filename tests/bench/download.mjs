// The first download, as the browser fetches it: a fresh Chromium (empty cache) opens the start
// page, follows its "open the lab" link, and waits until the lab takes a command
// (<html data-lab="ready"> and the "Send a command" bar). Every response requested before that
// moment is summed by its encoded body size (what crossed the network, headers not counted), once
// with `Accept-Encoding: br` and once with `gzip` only (what GitHub Pages serves), from the
// Pages-like server compressing on request (pages-server.mjs with FOLDLAB_COMPRESS=1).
//
// The moment is the lab's own mark on the page's timeline (`performance.mark("foldlab-ready")`,
// made as it sets data-lab): a response whose request started after it (the rest of the lab's
// stage, its reading and its runner, fetched once the lab takes commands) is not in the first download, but is printed and
// summed apart, as what the lab fetches next (`after`). Without the mark (the floor) every
// response counts.
//
// Environment:
//   PORT                 the port to serve on (default 4182)
//   FOLDLAB_DIST_ROOT    the directory holding foldlab/ (default dist-pages)
//   DOWNLOAD_OUT         where to write the JSON (optional)
//   DOWNLOAD_BUDGET_BR, DOWNLOAD_BUDGET_GZIP   the goals in bytes (default 250000 and 320000)
//   DOWNLOAD_FLOOR=1     measure the floor instead (tests/bench/floor, served the same way):
//                        its start page, its lab page ready, then one command, which must be
//                        stored in its IndexedDB database for the figure to count; no goal
//
// Prints one line per encoding and per file, and `download: … within|OVER` per goal; exits 0
// either way (`cargo xtask bench` reports, it does not gate).
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = Number(process.env.PORT ?? 4182);
const distRoot = resolve(process.env.FOLDLAB_DIST_ROOT ?? join(root, 'dist-pages'));
const out = process.env.DOWNLOAD_OUT;
const goals = {
  br: Number(process.env.DOWNLOAD_BUDGET_BR ?? 250_000),
  gzip: Number(process.env.DOWNLOAD_BUDGET_GZIP ?? 320_000),
};
// The app visited: the lab, or the floor under its first download.
const app = process.env.DOWNLOAD_FLOOR === '1'
  ? { what: 'floor', link: 'Open the lab', ready: 'Create customer', command: floorCommand }
  : { what: 'lab', link: 'Or open the lab and try it yourself', ready: 'Send a command', command: null };
const flags = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const log = (line) => process.stdout.write(`download: ${line}\n`);
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

async function startServer() {
  const server = spawn(process.execPath, [join(root, 'tests/e2e/support/pages-server.mjs')], {
    env: { ...process.env, PORT: String(port), FOLDLAB_DIST_ROOT: distRoot, FOLDLAB_COMPRESS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((ok, fail) => {
    server.stdout.on('data', (d) => (String(d).includes('serving') ? ok() : null));
    server.on('exit', (code) => fail(new Error(`pages-server exited with ${code}`)));
  });
  return server;
}

// One first visit with `encoding` accepted: the responses until the lab takes a command.
async function firstVisit(browser, encoding) {
  const context = await browser.newContext({ extraHTTPHeaders: { 'Accept-Encoding': encoding } });
  const page = await context.newPage();
  const pending = [];
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('requestfinished', (request) => {
    pending.push(
      (async () => {
        const response = await request.response();
        const sizes = await request.sizes();
        const headers = response ? await response.allHeaders() : {};
        return {
          url: request.url(),
          status: response?.status() ?? 0,
          encoding: headers['content-encoding'] ?? 'identity',
          bytes: sizes.responseBodySize,
        };
      })(),
    );
  });
  page.on('requestfailed', (request) => problems.push(`${request.url()}: ${request.failure()?.errorText}`));
  const base = `http://127.0.0.1:${port}/foldlab/`;
  await page.goto(base);
  await page.getByRole('heading', { level: 2, name: 'Start here' }).waitFor();
  await page.getByRole('link', { name: app.link }).click();
  await page.waitForSelector('html[data-lab="ready"]', { state: 'attached', timeout: 120_000 });
  await page.getByText(app.ready, { exact: true }).first().waitFor();
  // Let responses that had started arrive in full before they are counted.
  await page.waitForLoadState('networkidle');
  const responses = await Promise.all(pending);
  // The resources whose request started after the lab's ready mark.
  const later = new Set(
    await page.evaluate(() => {
      const [ready] = performance.getEntriesByName('foldlab-ready', 'mark');
      if (!ready) return [];
      return performance
        .getEntriesByType('resource')
        .filter((r) => r.startTime > ready.startTime)
        .map((r) => r.name);
    }),
  );
  for (const r of responses) r.after = later.has(r.url);
  if (app.command) await app.command(page, problems);
  await context.close();
  const uncompressed = responses.filter((r) => r.bytes > 1000 && r.encoding !== encoding);
  if (uncompressed.length) {
    problems.push(`not sent as ${encoding}: ${uncompressed.map((r) => r.url).join(', ')}`);
  }
  const first = responses.filter((r) => !r.after);
  const next = responses.filter((r) => r.after);
  const sum = (list) => list.reduce((total, r) => total + r.bytes, 0);
  return {
    encoding,
    total: sum(first),
    requests: first.length,
    after: sum(next),
    afterRequests: next.length,
    responses,
    problems,
  };
}

// The floor must take a command, or its size says nothing: create a customer, then read the
// event back from the floor's own IndexedDB database.
async function floorCommand(page, problems) {
  await page.getByLabel('Name').fill('Ada');
  await page.getByRole('button', { name: 'Create customer' }).click();
  await page.getByText('Stored 1 event(s).', { exact: true }).waitFor({ timeout: 30_000 });
  const stored = await page.evaluate(
    () =>
      new Promise((ok, fail) => {
        const open = indexedDB.open('foldlab-floor');
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('events').objectStore('events').count();
          count.onsuccess = () => ok(count.result);
          count.onerror = () => fail(count.error);
        };
      }),
  );
  if (stored !== 1) problems.push(`the floor stored ${stored} events for one command, not 1`);
}

async function main() {
  const server = await startServer();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      server.kill();
      process.exit(1);
    });
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: flags, headless: true });
  try {
    const results = {};
    for (const encoding of ['br', 'gzip']) {
      const visit = await firstVisit(browser, encoding);
      results[encoding] = visit;
      for (const r of [...visit.responses].sort((a, b) => b.bytes - a.bytes)) {
        const when = r.after ? '  (after the lab took commands)' : '';
        log(`  ${encoding.padEnd(4)} ${kb(r.bytes).padStart(9)}  ${new URL(r.url).pathname}${when}`);
      }
      const within = visit.total <= goals[encoding];
      const verdict = app.what === 'floor'
        ? (visit.problems.length ? 'see the problems below' : 'it then took a command')
        : `goal ≤ ${kb(goals[encoding])}: ${within ? 'within' : `OVER by ${kb(visit.total - goals[encoding])}`}`;
      log(
        `first visit of the ${app.what} (start page, then its lab ready), ${encoding}: ${kb(visit.total)} in ${visit.requests} responses; ${verdict}`,
      );
      if (visit.afterRequests) {
        log(
          `then, once the lab took commands, ${kb(visit.after)} in ${visit.afterRequests} responses (what it fetches next: the rest of its stage, its reading, its runner)`,
        );
      }
      for (const p of visit.problems) log(`  problem: ${p}`);
    }
    if (out) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify({ goals, ...results }, null, 2) + '\n');
    }
    if (Object.values(results).some((r) => r.problems.length)) process.exitCode = 1;
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((e) => {
  console.error(`download: failed: ${e.stack ?? e}`);
  process.exit(1);
});
