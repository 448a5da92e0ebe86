// The browser half of `cargo xtask bench`: serves the benchmark build (dist-bench/) like GitHub
// Pages, runs /bench in headless Chromium (Debian's, through Playwright), measures the cold start
// by fresh page loads, adds what xtask measured natively (the criterion fold, the shipped size),
// prints one table and writes the results as JSON.
//
// Environment (set by xtask/src/bench.rs):
//   PORT                 the port to serve on (127.0.0.1 and localhost, two origins)
//   BENCH_MODE           full | quick
//   BENCH_OUT            where to write the JSON
//   BENCH_PROFILE        Chromium's profile directory (kept, so generated databases are reused)
//   NATIVE_FOLD_NS       the native fold's median time per event, in ns (criterion)
//   NATIVE_FOLD_EVENTS   how many events the native fold folded
//   SHIPPED_BROTLI       wasm + JS shipped, brotli, in bytes
//   DOWNLOAD_JSON        the first download as fetched (tests/bench/download.mjs's output)
//   FLOOR_JSON           the floor's first visit (tests/bench/download.mjs with DOWNLOAD_FLOOR=1)
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = Number(process.env.PORT ?? 4181);
const mode = process.env.BENCH_MODE === 'full' ? 'full' : 'quick';
const out = process.env.BENCH_OUT ?? join(root, 'target', 'bench', 'bench.json');
const profile = process.env.BENCH_PROFILE ?? join(root, 'target', 'bench', 'profile');
const distRoot = join(root, 'dist-bench');
const loads = 11;
const labEvents = mode === 'full' ? 100_000 : 5_000;

const flags = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function log(line) {
  process.stdout.write(`bench: ${line}\n`);
}

async function startServer(port) {
  const server = spawn(process.execPath, [join(root, 'tests/e2e/support/pages-server.mjs')], {
    // Cross-origin isolated pages (COOP and COEP), so performance.now() counts in microseconds, not
    // in steps of 0.1 ms: figure k times work of about 2 ms.
    env: { ...process.env, PORT: String(port), FOLDLAB_DIST_ROOT: distRoot, FOLDLAB_ISOLATE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((ok, fail) => {
    server.stdout.on('data', (d) => (String(d).includes('serving') ? ok() : null));
    server.on('exit', (code) => fail(new Error(`pages-server exited with ${code}`)));
  });
  return server;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function stats(runs) {
  return { median_ms: median(runs), min_ms: Math.min(...runs), max_ms: Math.max(...runs), runs_ms: runs };
}

// Deletes the lab's database and storage on an origin, from a page of that origin that does not
// run the app (the wasm-bindgen glue file), so no connection holds the database open.
async function wipeLab(context, origin) {
  const app = readdirSync(join(distRoot, 'foldlab')).find((f) => f.startsWith('app-'));
  const glue = `${app}/${readdirSync(join(distRoot, 'foldlab', app)).find((f) => f.endsWith('.js'))}`;
  const page = await context.newPage();
  await page.goto(`${origin}/foldlab/${glue}`);
  await page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name).filter((n) => !n.startsWith('foldlab-bench'));
    for (const name of names) {
      await new Promise((ok, fail) => {
        const r = indexedDB.deleteDatabase(name);
        r.onsuccess = ok;
        r.onerror = () => fail(r.error);
        r.onblocked = () => fail(new Error(`deleting ${name} is blocked`));
      });
    }
    const keep = localStorage.getItem('foldlab-bench');
    localStorage.clear();
    if (keep) localStorage.setItem('foldlab-bench', keep);
  });
  await page.close();
}

// Collects console errors and uncaught exceptions. /bench is a deep link, answered by the page the
// build writes for it (bench.html) with status 200, as GitHub Pages does, so nothing is excused.
function watch(page, problems) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
}

// Figure j, one run: fills the lab's "Create a customer" form with `name` (not timed), then clicks
// "Create customer" and measures in the page from the click to the animation frame in which both
// the customers table and the event store's table show the new customer (the frame is then drawn).
async function clickToScreen(page, name) {
  await page.bringToFront();
  const form = page.getByRole('form', { name: 'Create a customer' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Credit limit ($)').fill('1000');
  return page.evaluate(
    (name) =>
      new Promise((resolve, reject) => {
        const button = [...document.querySelectorAll('form[aria-labelledby="create-customer-title"] button')].find(
          (b) => b.textContent.trim() === 'Create customer',
        );
        if (!button) return reject(new Error('no Create customer button'));
        const shows = (table) =>
          [...document.querySelectorAll(`[data-testid="${table}"] tbody tr`)].some((tr) => tr.textContent.includes(name));
        let start = 0;
        const observer = new MutationObserver(() => {
          if (shows('customers') && shows('event-table')) {
            observer.disconnect();
            clearTimeout(timer);
            requestAnimationFrame(() => resolve(performance.now() - start));
          }
        });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`the tables did not show ${name} within 60 s`));
        }, 60_000);
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        start = performance.now();
        button.click();
      }),
    name,
  );
}

// One fresh page load: ms from navigation start to <html data-lab="ready">.
async function coldStart(context, url) {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector('html[data-lab="ready"]', { state: 'attached', timeout: 300_000 });
  const ready = await page.evaluate(() => window.__labReadyAt ?? null);
  const events = await page.evaluate(() => document.title);
  await page.close();
  if (ready === null) throw new Error('the page became ready before the observer saw it');
  void events;
  return ready;
}

// Runs the figures `figures` (ids, comma-separated) of the /bench page at `base`; gives the page's
// results and whether it had a fine timer (`isolated`).
async function benchPage(context, base, figures, problems, screenshot) {
  log(`running ${base}bench?run=${mode}&figures=${figures}…`);
  const page = await context.newPage();
  watch(page, problems);
  page.on('console', (m) => m.type() === 'log' && log(`page: ${m.text()}`));
  await page.goto(`${base}bench?run=${mode}&figures=${figures}`);
  const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
  log(isolated ? 'the page is cross-origin isolated: a fine timer' : 'the page is not isolated: a 0.1 ms timer');
  let last = '';
  const deadline = Date.now() + 60 * 60 * 1000;
  let results = null;
  while (Date.now() < deadline) {
    results = await page.evaluate(() => window.foldlabBench ?? null);
    if (results) break;
    const failed = await page.locator('[role="alert"]').allTextContents();
    if (failed.length) throw new Error(failed.join(' '));
    const status = await page.getByTestId('bench-status').textContent();
    if (status && status !== last) {
      log(status);
      last = status;
    }
    await page.waitForTimeout(1000);
  }
  if (!results) throw new Error('the benchmark page did not finish within an hour');
  if (screenshot) await page.screenshot({ path: join(dirname(out), screenshot), fullPage: true });
  await page.close();
  return { results, isolated };
}

async function main() {
  const server = await startServer(port);
  // A third origin, for the figures of a store that holds only their own events (b, b+ and k):
  // Chromium keeps every database of an origin in one store on disk, and the main origin's holds
  // figure e's 1,000,000-event history, which slowed both sides of b and k on a copy of it (see
  // docs/benchmarks.md).
  const smallPort = port + 1;
  const smallServer = await startServer(smallPort);
  mkdirSync(profile, { recursive: true });
  // The service worker is blocked: a worker a previous run installed in the kept profile would
  // otherwise serve that run's build from its cache.
  const context = await chromium.launchPersistentContext(profile, {
    serviceWorkers: 'block',
    executablePath: '/usr/bin/chromium',
    args: flags,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  // Records when the lab marks itself ready, on every page of the context, from navigation start.
  await context.addInitScript(() => {
    const seen = () => {
      if (window.__labReadyAt === undefined && document.documentElement?.getAttribute('data-lab') === 'ready') {
        window.__labReadyAt = performance.now();
      }
    };
    new MutationObserver(seen).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-lab'] });
  });
  const problems = [];
  try {
    const empty = `http://localhost:${port}/foldlab/`;
    const seeded = `http://127.0.0.1:${port}/foldlab/`;
    await wipeLab(context, `http://localhost:${port}`);
    await wipeLab(context, `http://127.0.0.1:${port}`);

    // Figures b, b+ and k first, on the third origin; then a, c, d, e, h and i in the page of the
    // origin whose lab stays empty (each figure on its own databases).
    const small = await benchPage(context, `http://localhost:${smallPort}/foldlab/`, 'b,k', problems);
    const rest = await benchPage(context, empty, 'a,c,d,e,h,i', problems, 'bench-page.png');
    const results = rest.results;
    results.figures.push(...small.results.figures);

    // Figure d: the native side, from criterion.
    const nativeNs = Number(process.env.NATIVE_FOLD_NS);
    const fold = results.figures.find((f) => f.id === 'd');
    if (fold && nativeNs > 0) {
      const events = results.sizes.fold;
      const wasmNs = (fold.ours.median_ms * 1e6) / events;
      const nativeEvents = Number(process.env.NATIVE_FOLD_EVENTS ?? 1_000_000);
      fold.baseline = {
        median_ms: (nativeNs * nativeEvents) / 1e6,
        min_ms: null,
        max_ms: null,
        runs_ms: [],
        note: `criterion median of the native fold of ${nativeEvents} events`,
      };
      fold.ratio = wasmNs / nativeNs;
      fold.met = fold.ratio <= fold.goal;
      fold.note = `${wasmNs.toFixed(2)} ns per event in wasm, ${nativeNs.toFixed(2)} ns natively`;
    }

    // Figure f: cold start, fresh page loads, the seeded lab against an empty one.
    log(`seeding the lab on ${seeded} with ${labEvents} events…`);
    const seed = await context.newPage();
    watch(seed, problems);
    await seed.goto(`${seeded}bench?seed-lab=${labEvents}`);
    await seed.getByTestId('bench-seeded').waitFor({ timeout: 30 * 60 * 1000 });
    log(await seed.getByTestId('bench-seeded').textContent());
    await seed.close();
    const full = [];
    const none = [];
    for (let i = 0; i <= loads; i++) {
      const a = await coldStart(context, seeded);
      const b = await coldStart(context, empty);
      if (i > 0) {
        full.push(a);
        none.push(b);
      }
      log(`cold start ${i === 0 ? 'warm-up' : i}: ${a.toFixed(0)} ms with ${labEvents} events, ${b.toFixed(0)} ms empty`);
    }
    const f = {
      id: 'f',
      name: `cold start to interactive with ${labEvents} events stored`,
      ours_label: `fresh load, ${labEvents} events with checkpoints and snapshots`,
      baseline_label: 'fresh load, empty store',
      ours: stats(full),
      baseline: stats(none),
      ratio_rule: 'time with the events / time with an empty store (to <html data-lab="ready">)',
      goal_op: '<=',
      goal: 3,
      note: `${loads} fresh page loads each after one warm-up, from navigation start`,
    };
    f.ratio = f.ours.median_ms / f.baseline.median_ms;
    f.met = f.ratio <= f.goal;
    results.figures.push(f);

    // Figure j: click to screen, a command in the lab with the seeded store against an empty one.
    log('click to screen: a customer created in each lab…');
    const labs = [];
    for (const origin of [seeded, empty]) {
      const lab = await context.newPage();
      watch(lab, problems);
      await lab.goto(`${origin}lab`);
      await lab.waitForSelector('html[data-lab="ready"]', { state: 'attached', timeout: 300_000 });
      labs.push(lab);
    }
    const [withEvents, emptyLab] = labs;
    const clicksFull = [];
    const clicksEmpty = [];
    for (let i = 0; i <= loads; i++) {
      const order = i % 2 === 0 ? [withEvents, emptyLab] : [emptyLab, withEvents];
      const times = new Map();
      for (const lab of order) times.set(lab, await clickToScreen(lab, `Bench customer ${i}`));
      if (i > 0) {
        clicksFull.push(times.get(withEvents));
        clicksEmpty.push(times.get(emptyLab));
      }
      log(`click to screen ${i === 0 ? 'warm-up' : i}: ${times.get(withEvents).toFixed(1)} ms with ${labEvents} events, ${times.get(emptyLab).toFixed(1)} ms empty`);
    }
    for (const lab of labs) await lab.close();
    const j = {
      id: 'j',
      name: `click to screen with ${labEvents} events stored`,
      ours_label: `Create customer, click to both tables drawn, ${labEvents} events stored`,
      baseline_label: 'the same with an empty store',
      ours: stats(clicksFull),
      baseline: stats(clicksEmpty),
      ratio_rule: 'time with the events / time with an empty store',
      goal_op: '<=',
      goal: 1.5,
      note: `${loads} commands in each lab after one warm-up, alternating; timed in the page from the click to the animation frame that shows the new customer in the customers table and the event store's table`,
    };
    j.ratio = j.ours.median_ms / j.baseline.median_ms;
    j.met = j.ratio <= j.goal;
    results.figures.push(j);

    // Figure g: the shipped size, every view's wasm and JS.
    const shipped = Number(process.env.SHIPPED_BROTLI);
    if (shipped > 0) {
      results.figures.push({
        id: 'g',
        name: 'wasm + JS shipped, brotli',
        ours_label: 'dist-bench/foldlab, brotli -q 11',
        baseline_label: '',
        ours: { median_ms: null, bytes: shipped },
        baseline: null,
        ratio_rule: 'kilobytes (1 KB = 1000 bytes), not a ratio',
        ratio: shipped / 1000,
        goal_op: '',
        goal: '—',
        met: null,
        note: 'every view, the benchmark page included; a visitor fetches only the first download (g1, g2)',
      });
    }
    // Figures g1 and g2: the first download as the browser fetched it (tests/bench/download.mjs).
    if (process.env.DOWNLOAD_JSON) {
      const download = JSON.parse(readFileSync(process.env.DOWNLOAD_JSON, 'utf8'));
      for (const [id, encoding] of [['g1', 'br'], ['g2', 'gzip']]) {
        const visit = download[encoding];
        const goal = download.goals[encoding];
        results.figures.push({
          id,
          name: `first download, fetched, ${encoding}`,
          ours_label: `start page, then the lab taking commands, Accept-Encoding: ${encoding}`,
          baseline_label: '',
          ours: { median_ms: null, bytes: visit.total },
          baseline: null,
          ratio_rule: 'kilobytes (1 KB = 1000 bytes), not a ratio',
          ratio: visit.total / 1000,
          goal_op: '<=',
          goal: goal / 1000,
          met: visit.total <= goal,
          note: `${visit.requests} responses requested before the lab took commands, encoded bodies summed; then ${(visit.after / 1000).toFixed(1)} KB in ${visit.afterRequests} for what it fetches next`,
        });
      }
    }
    // Figure g0: the floor under g1 and g2, the smallest app that takes a command on this store
    // and engine (tests/bench/floor), fetched as g1 and g2 are. No goal: it says how far a first
    // view could shrink.
    if (process.env.FLOOR_JSON) {
      const floor = JSON.parse(readFileSync(process.env.FLOOR_JSON, 'utf8'));
      results.figures.push({
        id: 'g0',
        name: 'floor of the first download, fetched, br (gzip in the note)',
        ours_label: 'tests/bench/floor: start page, then its lab ready; router, store, engine, one form',
        baseline_label: '',
        ours: { median_ms: null, bytes: floor.br.total },
        baseline: null,
        ratio_rule: 'kilobytes (1 KB = 1000 bytes), not a ratio',
        ratio: floor.br.total / 1000,
        goal_op: '',
        goal: '—',
        met: null,
        note: `${(floor.gzip.total / 1000).toFixed(1)} KB gzip; ${floor.br.requests} responses; no stylesheet; it then stored a command`,
      });
    }
    const order = ['a', 'b', 'b+', 'c', 'd', 'e', 'f', 'g', 'g0', 'g1', 'g2', 'h', 'i', 'j', 'k'];
    results.figures.sort((x, y) => order.indexOf(x.id) - order.indexOf(y.id));
    results.console_errors = problems;
    results.cross_origin_isolated = small.isolated && rest.isolated;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    printTable(results);
    log(`results written to ${out}`);
    if (problems.length) {
      log(`console errors: ${problems.join(' | ')}`);
      process.exitCode = 1;
    }
  } finally {
    await context.close();
    server.kill();
    smallServer.kill();
  }
}

function fmtMs(v) {
  if (v === null || v === undefined) return '—';
  return v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`;
}

function printTable(results) {
  const rows = [['figure', 'ours', 'baseline', 'ratio', 'goal', 'met?']];
  // Figures that are sizes in KB, not times.
  const sizes = ['g', 'g0', 'g1', 'g2'];
  for (const f of results.figures) {
    const ours = sizes.includes(f.id) ? `${(f.ours.bytes / 1000).toFixed(1)} KB` : `${fmtMs(f.ours.median_ms)} (${fmtMs(f.ours.min_ms)}–${fmtMs(f.ours.max_ms)})`;
    const base = f.baseline ? `${fmtMs(f.baseline.median_ms)}${f.baseline.min_ms != null ? ` (${fmtMs(f.baseline.min_ms)}–${fmtMs(f.baseline.max_ms)})` : ''}` : '—';
    const ratio = f.ratio === null || f.ratio === undefined ? '—' : sizes.includes(f.id) ? `${f.ratio.toFixed(1)} KB` : f.ratio < 0.1 ? f.ratio.toFixed(4) : f.ratio.toFixed(2);
    const met = f.met === true ? 'yes' : f.met === false ? 'NO' : '—';
    rows.push([`${f.id}. ${f.name}`, ours, base, ratio, `${f.goal_op} ${f.goal}`, met]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('');
  console.log(`bench: ${results.mode} run, ${results.date}, ${results.user_agent}`);
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
}

main().catch((e) => {
  console.error(`bench: failed: ${e.stack ?? e}`);
  process.exit(1);
});
