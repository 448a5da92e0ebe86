// Offline after one visit, as a workshop meets it: the venue's Wi-Fi drops after the first load,
// and the lab must still open, on any of its addresses, and play a lesson through. A new deploy is
// announced, never forced: the page reloads only when the learner asks. The site can be installed.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';

/** Waits until the lab takes commands and the service worker has cached the build and is active. */
async function firstVisit(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('html')).toHaveAttribute('data-lab', 'ready');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
}

/** This site's caches, by name. */
async function cacheNames(page: Page): Promise<string[]> {
  return page.evaluate(() => caches.keys());
}

/**
 * Cuts the network: the browser is offline, and any request that still reaches the network is
 * refused and recorded, so the test sees whether anything was not answered from the cache.
 */
async function goOffline(context: BrowserContext): Promise<string[]> {
  const reached: string[] = [];
  await context.route('**/*', async (route) => {
    reached.push(route.request().url());
    await route.abort('internetdisconnected');
  });
  await context.setOffline(true);
  return reached;
}

/** What reached the network, less the browser's own look for a new worker (which fails offline). */
function besidesTheUpdateCheck(reached: string[]): string[] {
  return reached.filter((url) => !url.endsWith('/foldlab/sw.js'));
}

test('after one visit the lab opens with the network off and a lesson plays through', async ({ page, context }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await firstVisit(page, './');
  const reached = await goOffline(context);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  // The network is really gone: a file the worker does not keep cannot be fetched.
  const uncached = await page.evaluate(() => fetch('./sw.js', { cache: 'no-store' }).then(() => 'answered', () => 'failed'));
  expect(uncached).toBe('failed');

  const reload = await page.reload();
  expect(reload?.fromServiceWorker()).toBe(true);
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');

  // The first lesson, played by acting in the lab.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
  await page.getByRole('link', { name: 'What happens when you place an order?' }).click();
  await page.getByRole('button', { name: 'Start the lesson' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 3');
  const strip = page.getByRole('region', { name: 'What happens when you place an order?' });
  const next = strip.getByRole('button', { name: 'Next' });
  await lab.createCustomer('Ada', '100');
  await next.click();
  await page.getByRole('radio', { name: 'OrderCreated only: the order is NEW' }).check();
  await page.getByRole('button', { name: 'Answer' }).click();
  await lab.placeOrder('40');
  await expect(strip.getByTestId('verdict')).toContainText('You were right.');
  await next.click();
  await page.getByRole('radio', { name: '$60.00' }).check();
  await page.getByRole('button', { name: 'Answer' }).click();
  await strip.getByRole('button', { name: 'Do it for me' }).click();
  await expect(strip.getByTestId('verdict')).toContainText('You were right.');
  await next.click();
  await expect(page.getByRole('status').filter({ hasText: 'Lesson complete' })).toBeVisible();
  expect(await lab.eventTypes()).toEqual(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);

  // A deep link opened offline (a lesson at its second step) lands where it points, with the
  // events kept; an address the site does not have gets the app's own "Nothing here".
  const deep = await page.goto('./lessons/happy_path?step=2');
  expect(deep?.fromServiceWorker()).toBe(true);
  await expect(page.getByRole('heading', { level: 2, name: 'What happens when you place an order?' })).toBeVisible();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await page.goto('./lab');
  await lab.expectEventCount(4);
  const missing = await page.goto('./no-such-page');
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Nothing here' })).toBeVisible();

  expect(besidesTheUpdateCheck(reached)).toEqual([]);
  // The one failed load is the test's own probe of the network above.
  expect(problems.messages).toEqual(['console.error: Failed to load resource: net::ERR_INTERNET_DISCONNECTED']);
});

test('a new deploy is announced, the page never reloads by itself, and the button brings it in', async ({ page }) => {
  // A site of its own, so that this test can deploy to it: a copy of the build, served the way
  // GitHub Pages serves it.
  const site = await serveCopyOfTheBuild();
  try {
    const problems = trackConsoleErrors(page);
    const lab = new LabPage(page);
    await firstVisit(page, `${site.url}lab`);
    const [first] = await cacheNames(page);
    expect(await cacheNames(page)).toEqual([first]);

    // The next deploy: the same files under a new version.
    const worker = join(site.dir, 'foldlab', 'sw.js');
    const text = readFileSync(worker, 'utf8');
    const next = text.replace(/const VERSION = "[0-9a-f]{16}";/, 'const VERSION = "0123456789abcdef";');
    expect(next).not.toEqual(text);
    writeFileSync(worker, next);

    await page.reload();
    await expect(lab.backend).toHaveText('Events kept in IndexedDB');
    // Something the learner has on screen, which a reload would lose.
    await lab.createForm.getByLabel('Name').fill('Grace');
    const banner = page.getByRole('status').filter({ hasText: 'A new version of Foldlab is ready' });
    await expect(banner).toBeVisible();
    await screenshotsAtThreeSizes(page, 'offline-update');

    // Nothing happens until the learner asks: the typed name stays, the old version still runs.
    await page.waitForTimeout(1_000);
    await expect(lab.createForm.getByLabel('Name')).toHaveValue('Grace');
    expect(await cacheNames(page)).toContain(first);

    // "Later" puts the banner away; the next load offers it again.
    await banner.getByRole('button', { name: 'Later' }).click();
    await expect(banner).toHaveCount(0);
    await page.reload();
    await expect(banner).toBeVisible();

    // By keyboard: the button lets the new version take over and reloads into it; the old
    // version's cache is gone.
    await banner.getByRole('button', { name: 'Reload to update' }).focus();
    const reloaded = page.waitForEvent('framenavigated');
    await page.keyboard.press('Enter');
    await reloaded;
    await expect(lab.backend).toHaveText('Events kept in IndexedDB');
    await expect(banner).toHaveCount(0);
    await expect.poll(() => cacheNames(page)).toEqual([first.replace(/[0-9a-f]{16}$/, '0123456789abcdef')]);
    expect(problems.messages).toEqual([]);
  } finally {
    site.stop();
  }
});

test('the site can be installed as an app', async ({ playwright, launchOptions, baseURL }) => {
  // Chromium offers no install in an incognito profile, which is what a test's context is.
  const profile = mkdtempSync(join(tmpdir(), 'foldlab-install-'));
  const context = await playwright.chromium.launchPersistentContext(profile, { ...launchOptions, baseURL });
  try {
    const page = await context.newPage();
    const problems = trackConsoleErrors(page);
    await firstVisit(page, './');
    const cdp = await context.newCDPSession(page);
    await expect
      .poll(async () => {
        const manifest = await cdp.send('Page.getAppManifest');
        return { url: new URL(manifest.url || 'about:blank').pathname, errors: manifest.errors };
      })
      .toEqual({ url: '/foldlab/manifest.webmanifest', errors: [] });
    await expect.poll(async () => (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);
    expect(problems.messages).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

/** A copy of dist-pages/ in a scratch folder, served by the pages server on a free port. */
async function serveCopyOfTheBuild(): Promise<{ url: string; dir: string; stop: () => void }> {
  const repo = join(__dirname, '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'foldlab-deploy-'));
  cpSync(join(repo, 'dist-pages'), dir, { recursive: true });
  const server = spawn(process.execPath, [join(__dirname, 'support', 'pages-server.mjs')], {
    env: { ...process.env, PORT: '0', FOLDLAB_DIST_ROOT: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += String(chunk);
      const found = / at (http:\/\/\S+\/)/.exec(out);
      if (found) resolve(found[1]);
    });
    server.on('exit', (code) => reject(new Error(`pages-server exited (${code}): ${out}`)));
  });
  return {
    url,
    dir,
    stop: () => {
      server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
