// Issue 12, "Start here": a first visit opens on a page that says what problem the patterns solve,
// draws an order's path, and offers one first action (the first lesson); the header fits one row
// on a 1024 px projector with Large text, its menus work by keyboard, a deep link answers 200
// without console noise, and no view scrolls sideways on a phone.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { closeSettings, LabPage, openMoreViews, openSettings, toggleLargeText, views } from './support/lab';

/**
 * Views whose own content is still wider than a phone, skipped by the phone check below until
 * their page is fixed. Empty since the issue 12 merges: /lessons, /time-travel and /projections
 * were on it. Put a path here only with the reason, never the header's or the start page's.
 */
const WIDER_THAN_A_PHONE: string[] = [];

const firstAction = (page: Page) => page.getByRole('link', { name: /^Begin with the first lesson/ });

test('a first visit opens on the start page, and its first action is the first lesson', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 2, name: 'Start here' })).toBeVisible();
  const main = page.locator('main');
  await expect(main).toContainText('2PC');
  await expect(main).toContainText('Part 2, Reliably Updating State and Publishing Events');
  // One picture of an order's path, in order.
  const stops = page.getByRole('figure').getByRole('listitem');
  await expect(stops).toHaveCount(5);
  await expect(stops.locator('strong')).toHaveText(['You', 'Order service', 'Event store', 'Customer service', 'Views']);
  // The stops stand in one row at this width, left to right.
  const boxes = await Promise.all((await stops.all()).map((s) => s.boundingBox()));
  for (let i = 1; i < boxes.length; i++) {
    expect(boxes[i]!.x).toBeGreaterThan(boxes[i - 1]!.x + boxes[i - 1]!.width);
    expect(Math.abs(boxes[i]!.y - boxes[0]!.y)).toBeLessThan(2);
  }
  // The first action is the biggest thing to press, and it is in sight without scrolling.
  const first = firstAction(page);
  await expect(first).toBeInViewport();
  const openLab = page.getByRole('link', { name: 'Or open the lab and try it yourself' });
  expect((await first.boundingBox())!.height).toBeGreaterThan((await openLab.boundingBox())!.height * 1.5);
  await page.screenshot({ path: screenshotPath('start-1280') });

  const title = (await first.locator('.start-first-title').textContent()) ?? '';
  expect(title.length).toBeGreaterThan(5);
  await first.click();
  await expect(page).toHaveURL(/\/foldlab\/lessons\/[a-z_]+(\?step=\d+)?$/);
  await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
  expect(problems.messages).toEqual([]);
});

test('the Designs view and the open lab are one click from the start page', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.goto('./');
  await page.locator('main').getByRole('link', { name: 'Designs', exact: true }).click();
  await expect(page).toHaveURL(/\/foldlab\/designs/);
  await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
  await page.getByRole('heading', { name: 'Foldlab' }).getByRole('link').click();
  await expect(page).toHaveURL(/\/foldlab\/$/);
  await page.getByRole('link', { name: 'Or open the lab and try it yourself' }).click();
  await expect(page).toHaveURL(/\/foldlab\/lab$/);
  await expect(page.getByRole('heading', { name: 'Command side' })).toBeVisible();
  await expect(views(page).getByRole('link', { name: 'Lab', exact: true })).toHaveAttribute('aria-current', 'page');
  expect(problems.messages).toEqual([]);
});

test('links within the app open their view without loading the page again, and Back and Forward return', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.goto('./');
  // A loaded page would lose this.
  await page.evaluate(() => ((window as unknown as { kept: string }).kept = 'same page'));
  await page.getByRole('link', { name: 'Or open the lab and try it yourself' }).click();
  await expect(page).toHaveURL(/\/foldlab\/lab$/);
  await expect(page.locator('html')).toHaveAttribute('data-lab', 'ready');
  const nav = views(page);
  // The view already open: no step is added for Back to undo.
  await nav.getByRole('link', { name: 'Lab', exact: true }).click();
  await nav.getByRole('link', { name: 'Lessons', exact: true }).click();
  await expect(page).toHaveURL(/\/foldlab\/lessons$/);
  await expect(nav.getByRole('link', { name: 'Lessons', exact: true })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'Lab', exact: true })).not.toHaveAttribute('aria-current', 'page');
  // A lesson lies under Lessons: the header still marks it.
  await page.locator('main').getByRole('link').first().click();
  await expect(page).toHaveURL(/\/foldlab\/lessons\/[a-z_]+(\?step=\d+)?$/);
  await expect(nav.getByRole('link', { name: 'Lessons', exact: true })).toHaveAttribute('aria-current', 'page');
  await page.goBack();
  await expect(page).toHaveURL(/\/foldlab\/lessons$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Lessons' })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(/\/foldlab\/lab$/);
  await expect(page.getByRole('heading', { name: 'Command side' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Lab', exact: true })).toHaveAttribute('aria-current', 'page');
  await page.goBack();
  await expect(page).toHaveURL(/\/foldlab\/$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Start here' })).toBeVisible();
  await page.goForward();
  await page.goForward();
  await expect(page).toHaveURL(/\/foldlab\/lessons$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Lessons' })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { kept?: string }).kept)).toBe('same page');
  expect(problems.messages).toEqual([]);
});

/** Every item of the header's row, as boxes. */
async function headerItems(page: Page): Promise<{ name: string; box: { x: number; y: number; width: number; height: number } }[]> {
  const items: [string, Locator][] = [
    ['brand', page.getByRole('heading', { level: 1, name: 'Foldlab' })],
    ...['Lab', 'Lessons', 'Choreography', 'Designs'].map(
      (name) => [name, views(page).getByRole('link', { name, exact: true })] as [string, Locator],
    ),
    ['More views', page.getByRole('button', { name: 'More views', exact: true })],
    ['Settings', page.getByRole('button', { name: 'Settings', exact: true })],
  ];
  const out = [];
  for (const [name, locator] of items) out.push({ name, box: (await locator.boundingBox())! });
  return out;
}

test('on a 1024 px projector with Large text in the dark theme, the header is one row', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('./');
  await toggleLargeText(page);
  await expect(page.locator('html')).toHaveAttribute('data-text', 'large');
  const items = await headerItems(page);
  // One row: every item overlaps every other vertically, left to right, inside the window.
  const lowestTop = Math.max(...items.map((i) => i.box.y));
  const highestBottom = Math.min(...items.map((i) => i.box.y + i.box.height));
  expect(lowestTop, JSON.stringify(items)).toBeLessThan(highestBottom);
  for (let i = 1; i < items.length; i++) expect(items[i].box.x).toBeGreaterThan(items[i - 1].box.x);
  const last = items[items.length - 1].box;
  expect(last.x + last.width).toBeLessThanOrEqual(1024);
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(1024);
  // The start page's first action is still in sight on the projector.
  await expect(firstAction(page)).toBeInViewport();
  await page.screenshot({ path: screenshotPath('start-projector-large') });
  await openMoreViews(page);
  await expect(page.getByRole('link', { name: 'Time travel' })).toBeInViewport();
  await page.screenshot({ path: screenshotPath('start-projector-large-more-views') });
  await toggleLargeText(page);
  expect(problems.messages).toEqual([]);
});

test('the Settings and More views menus work by keyboard, and Escape closes them', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  const settings = page.getByRole('button', { name: 'Settings', exact: true });
  // Where the events are kept is in the page while the menu is closed, and shown when it opens.
  await expect(lab.backend).toBeHidden();
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');

  await settings.focus();
  await page.keyboard.press('Enter');
  await expect(settings).toHaveAttribute('aria-expanded', 'true');
  await expect(lab.backend).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Theme')).toBeFocused();
  await page.keyboard.press('Tab');
  const large = page.getByRole('button', { name: 'Large text' });
  await expect(large).toBeFocused();
  await page.keyboard.press('Space');
  await expect(large).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('html')).toHaveAttribute('data-text', 'large');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Reset lab…' })).toBeFocused();
  await page.screenshot({ path: screenshotPath('start-settings-open') });
  await page.keyboard.press('Escape');
  await expect(settings).toHaveAttribute('aria-expanded', 'false');
  await expect(settings).toBeFocused();
  await expect(page.getByRole('button', { name: 'Reset lab…' })).toBeHidden();
  await page.keyboard.press('Space');
  await expect(settings).toHaveAttribute('aria-expanded', 'true');
  await page.getByRole('button', { name: 'Large text' }).click();
  await expect(page.locator('html')).not.toHaveAttribute('data-text', 'large');
  // A click elsewhere closes it too.
  await page.getByRole('heading', { name: 'Command side' }).click();
  await expect(settings).toHaveAttribute('aria-expanded', 'false');

  // More views: open by keyboard, Tab to a view, Enter goes there and closes the menu.
  const more = page.getByRole('button', { name: 'More views', exact: true });
  await more.focus();
  await page.keyboard.press('Enter');
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Time travel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(more).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Snapshots' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/foldlab\/snapshots$/);
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  // Tabbing past the menu's last view closes it.
  await more.focus();
  await page.keyboard.press('Enter');
  for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await closeSettings(page);
  expect(problems.messages).toEqual([]);
});

test('a deep link and a reload are answered with the app, without a 404 or an integrity warning', async ({ page }) => {
  const logged: string[] = [];
  page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logged.push(`uncaught: ${e.message}`));
  const statuses: number[] = [];
  for (const path of ['./lessons/happy_path', './lab', './lessons', './choreography?step=1', './about']) {
    statuses.push((await page.goto(path))?.status() ?? 0);
    await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
    await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
  }
  statuses.push((await page.reload())?.status() ?? 0);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  await expect(page).toHaveURL(/\/foldlab\/about$/);
  // The wasm is preloaded without an integrity attribute that its fetch could not match.
  const preload = page.locator('link[rel="preload"][href$=".wasm"]');
  await expect(preload).toHaveCount(1);
  await expect(preload).not.toHaveAttribute('integrity', /.*/);
  // Chromium tells of an unused or mismatched preload a few seconds after the load.
  await page.waitForTimeout(3500);
  expect(logged.filter((m) => /404|integrity|preload/i.test(m))).toEqual([]);
  expect(logged.filter((m) => m.startsWith('error') || m.startsWith('uncaught'))).toEqual([]);

  // A path that is no view still boots the app, through the 404 page, and says so.
  expect((await page.goto('./no-such-view'))?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 2, name: 'Nothing here' })).toBeVisible();
});

test('at 390 x 844 no view scrolls sideways, with the menus closed or open', async ({ page }) => {
  test.setTimeout(120_000);
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  // Some content in every view: a customer, an approved order and one still waiting.
  await lab.createCustomer('Katherine Johnson', '1000');
  await lab.placeOrder('300');
  await lab.runToEnd();
  await lab.placeOrder('200');

  await page.setViewportSize({ width: 390, height: 844 });
  await openMoreViews(page);
  const paths = new Set<string>(['./', './lessons/happy_path', './about']);
  for (const link of await views(page).getByRole('link').all()) {
    paths.add(`.${((await link.getAttribute('href')) ?? '').replace(/^\/foldlab/, '')}`);
  }
  expect(paths.size).toBeGreaterThanOrEqual(12);
  const wide: string[] = [];
  for (const path of paths) {
    if (WIDER_THAN_A_PHONE.includes(path)) continue;
    await page.goto(path);
    await expect(lab.backend).toHaveText('Events kept in IndexedDB');
    await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
    const width = await page.evaluate(() => [document.scrollingElement!.scrollWidth, window.innerWidth]);
    if (width[0] > width[1]) wide.push(`${path}: ${width[0]} px wide in ${width[1]}`);
  }
  expect(wide).toEqual([]);

  // The start page on a phone, and its menus open.
  await page.goto('./');
  await expect(firstAction(page)).toBeVisible();
  await page.screenshot({ path: screenshotPath('start-phone'), fullPage: true });
  const noSideways = async () =>
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
  await openSettings(page);
  await noSideways();
  await expect(page.getByRole('button', { name: 'Reset lab…' })).toBeInViewport();
  await page.screenshot({ path: screenshotPath('start-phone-settings') });
  await closeSettings(page);
  await openMoreViews(page);
  await noSideways();
  await expect(page.getByRole('link', { name: 'Share' })).toBeInViewport();
  await page.screenshot({ path: screenshotPath('start-phone-more-views') });
  expect(problems.messages).toEqual([]);
});
