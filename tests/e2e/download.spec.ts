// Issue 13, "A small first download": the start page and the lab's command forms come in the
// first download; the rest of the lab's stage, the reading of its log, the projection runner and
// the integrity check are wasm files of their own (app-<hash>/split_<name>.wasm), fetched once the
// lab takes commands,
// and every other view's code is a file of its own, fetched the first time the view opens. A
// part whose file cannot be fetched says so and offers to try again, the rest of the app keeps
// working, and trying again once the network is back opens it.
import { expect, test, type Page, type Request } from '@playwright/test';
import { trackConsoleErrors } from './support/console';
import { goToView, LabPage } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';

const designsChunk = '**/app-*/split_designs.wasm';
const stageChunk = '**/app-*/split_stage.wasm';

/** Records the wasm files the page fetches, by file name. */
function wasmFetched(page: Page): string[] {
  const names: string[] = [];
  page.on('request', (request: Request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) names.push(path.split('/').pop()!);
  });
  return names;
}

test('the start page and the lab need only the main module until the lab takes commands; a view fetches its own file when first opened', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const fetched = wasmFetched(page);
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 2, name: 'Start here' })).toBeVisible();
  // The lab opens its store behind the start page already. What it had fetched when it took
  // commands, read in the page at the lab's own mark:
  await expect(page.locator('html')).toHaveAttribute('data-lab', 'ready');
  const beforeReady = await page.evaluate(() => {
    const [ready] = performance.getEntriesByName('foldlab-ready', 'mark');
    return performance
      .getEntriesByType('resource')
      .filter((r) => r.startTime <= ready.startTime && r.name.endsWith('.wasm'))
      .map((r) => r.name.split('/').pop());
  });
  expect(beforeReady).toEqual(['foldlab_bg.wasm']);
  // Then the code that reads the log follows, and the lab's stage comes with the lab.
  await expect.poll(() => fetched).toContain('split_reader.wasm');
  expect(fetched).not.toContain('split_stage.wasm');
  await page.getByRole('link', { name: 'Or open the lab and try it yourself' }).click();
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await expect(page.getByTestId('event-table')).toBeVisible();
  expect(fetched).toContain('split_stage.wasm');
  expect(fetched).not.toContain('split_designs.wasm');

  await goToView(page, 'Designs');
  await expect(page.getByRole('heading', { level: 2, name: 'Seven designs, one story' })).toBeVisible();
  expect(fetched).toContain('split_designs.wasm');
  expect(fetched.filter((f) => f === 'foldlab_bg.wasm')).toHaveLength(1);
  expect(problems.messages).toEqual([]);
});

test('when the rest of the stage cannot be fetched, the lab still takes commands, says so, and Try again brings the stage', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  // The venue's Wi-Fi drops just after the first download.
  await page.route(stageChunk, (route) => route.abort('internetdisconnected'));
  await page.goto('./lab');
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  const failure = page.getByRole('alert').filter({ hasText: 'The rest of the lab could not be opened' });
  await expect(failure).toBeVisible();
  await expect(failure).toContainText('Check the connection, then try again. Your lab data is kept.');
  await screenshotsAtThreeSizes(page, 'download-stage-failed');

  // The command forms are in the first download: a customer is created and stored.
  await lab.createCustomer('Ada', '100');
  await expect(lab.createForm).toContainText('customer');
  await expect(lab.createForm).toContainText('was created with a $100.00 credit limit');

  await page.unroute(stageChunk);
  await failure.getByRole('button', { name: 'Try again' }).click();
  await expect(failure).toHaveCount(0);
  await expect(lab.customerRows).toHaveCount(1);
  await expect(lab.customerRows.first()).toContainText('Ada');
  await expect(page.getByTestId('event-table').locator('tbody tr')).toHaveCount(1);

  for (const message of problems.messages) {
    expect(message).toMatch(/split_stage\.wasm|Failed to fetch|net::ERR_INTERNET_DISCONNECTED/);
  }
  expect(problems.messages.join('\n')).not.toMatch(/panicked|unreachable|RuntimeError/);
});

test('with nothing but the first download, the lab takes a command and stores it, and says that the rest could not be fetched', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  // Every file but the main module is refused: the venue's Wi-Fi dropped after the first one.
  const later = /\/app-[^/]+\/(split|chunk)_[^/]+\.wasm$/;
  await page.route(later, (route) => route.abort('internetdisconnected'));
  await page.goto('./lab');
  await expect(page.locator('html')).toHaveAttribute('data-lab', 'ready');
  await lab.createCustomer('Ada', '100');
  await expect(lab.createForm).toContainText('was created with a $100.00 credit limit');
  const stored = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('foldlab');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('events').objectStore('events').count();
          count.onsuccess = () => {
            open.result.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
  );
  expect(stored).toBe(1);
  await expect(page.getByRole('alert').filter({ hasText: 'Part of the lab could not be downloaded' })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'The rest of the lab could not be opened' })).toBeVisible();
  expect(problems.messages.join('\n')).not.toMatch(/panicked|unreachable|RuntimeError/);
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
