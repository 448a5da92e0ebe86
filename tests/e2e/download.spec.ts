// Issue 13, "A small first download": the start page and the lab come in the first download;
// every other view's code is a wasm file of its own (app-<hash>/split_<view>.wasm), fetched the
// first time the view opens. A view whose file cannot be fetched says so and offers to try
// again, the rest of the app keeps working, and trying again once the network is back opens it.
import { expect, test, type Page, type Request } from '@playwright/test';
import { trackConsoleErrors } from './support/console';
import { goToView, LabPage } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';

const designsChunk = '**/app-*/split_designs.wasm';

/** Records the wasm files the page fetches, by file name. */
function wasmFetched(page: Page): string[] {
  const names: string[] = [];
  page.on('request', (request: Request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) names.push(path.split('/').pop()!);
  });
  return names;
}

test('the start page and the lab need only the main module; a view fetches its own file when first opened', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const fetched = wasmFetched(page);
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 2, name: 'Start here' })).toBeVisible();
  await page.getByRole('link', { name: 'Or open the lab and try it yourself' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-lab', 'ready');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  expect(fetched).toEqual(['foldlab_bg.wasm']);

  await goToView(page, 'Designs');
  await expect(page.getByRole('heading', { level: 2, name: 'Seven designs, one story' })).toBeVisible();
  expect(fetched).toContain('split_designs.wasm');
  expect(fetched.filter((f) => f === 'foldlab_bg.wasm')).toHaveLength(1);
  expect(problems.messages).toEqual([]);
});

test('a view whose file cannot be fetched says so, the lab keeps working, and Try again opens it once the network is back', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada', '100');
  await expect(lab.customerRows).toHaveCount(1);

  // The venue's Wi-Fi drops just as the learner opens Designs.
  await page.route(designsChunk, (route) => route.abort('internetdisconnected'));
  await goToView(page, 'Designs');
  const failure = page.getByRole('alert').filter({ hasText: 'This view could not be opened' });
  await expect(failure).toBeVisible();
  await expect(failure).toContainText('Check the connection, then try again. Your lab data is kept.');
  const again = failure.getByRole('button', { name: 'Try again' });
  // Trying again while still offline fails the same way, and the page is still alive.
  await again.click();
  await expect(failure).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Seven designs, one story' })).toHaveCount(0);

  // The rest of the app still works: the lab, with its data.
  await goToView(page, 'Lab');
  await expect(lab.customerRows).toHaveCount(1);
  await expect(lab.customerRows.first()).toContainText('Ada');

  // Back on Designs with the network back: Try again opens the view.
  await goToView(page, 'Designs');
  await expect(failure).toBeVisible();
  await screenshotsAtThreeSizes(page, 'download-view-failed');
  await page.unroute(designsChunk);
  await failure.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Seven designs, one story' })).toBeVisible();
  await expect(failure).toHaveCount(0);

  // The only errors logged are the failed fetches themselves, never a panic.
  for (const message of problems.messages) {
    expect(message).toMatch(/split_designs\.wasm|Failed to fetch|net::ERR_INTERNET_DISCONNECTED/);
  }
  expect(problems.messages.join('\n')).not.toMatch(/panicked|unreachable|RuntimeError/);
});
