// Snapshot folds, as a person uses them: generate a long history in the second store, change the
// snapshot interval, and see the load from the snapshot fold fewer events than the full replay,
// both timed in this browser, reaching the same state; the interval survives a reload.
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { goToView } from './support/lab';

async function openSnapshots(page: Page) {
  await page.goto('./');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await goToView(page, 'Snapshots');
  await expect(page.getByRole('heading', { name: 'Snapshot folds' })).toBeVisible();
}

const number = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, ''));

test('a snapshot fold folds fewer events than a full replay and reaches the same state', async ({ page }) => {
  test.setTimeout(120_000);
  const problems = trackConsoleErrors(page);
  await openSnapshots(page);
  await expect(page.getByTestId('history-place')).toContainText('in IndexedDB (“foldlab-history”)');

  await page.getByLabel('Events to generate').selectOption('5000');
  await page.getByRole('button', { name: 'Generate long history' }).click();
  await expect(page.getByTestId('generate-note')).toContainText('Stored 5,000 events for Long history 1', {
    timeout: 60_000,
  });
  // The new history is picked and folded both ways. Default interval: every 100 events.
  await expect(page.getByLabel('Aggregate')).toHaveValue(/^history:Customer:h-/);
  await expect(page.getByTestId('full-folded')).toHaveText('5,000', { timeout: 60_000 });
  await expect(page.getByTestId('fold-note')).toContainText('Both folds reached the same state');
  await expect(page.getByTestId('snap-from')).toContainText('the snapshot at version 5,000');
  await expect(page.getByTestId('snap-folded')).toHaveText('0');

  // Every 300 events: the snapshot is taken at 4,800 at once, and 200 events follow it.
  await page.getByLabel('Snapshot interval').selectOption('300');
  await expect(page.getByTestId('fold-note')).toContainText('Took a snapshot at version 4,800', { timeout: 60_000 });
  await expect(page.getByTestId('fold-note')).toContainText('Both folds reached the same state', { timeout: 60_000 });
  await expect(page.getByTestId('snap-from')).toContainText('the snapshot at version 4,800');
  await expect(page.getByTestId('snap-folded')).toHaveText('200');
  await expect(page.getByTestId('full-folded')).toHaveText('5,000');
  const snapMs = number(await page.getByTestId('snap-ms').textContent());
  const fullMs = number(await page.getByTestId('full-ms').textContent());
  await expect(page.getByTestId('snap-ms')).toHaveText(/^\d+\.\d ms$/);
  await expect(page.getByTestId('full-ms')).toHaveText(/^\d+\.\d ms$/);
  console.log(`fold timings, 5,000 events, interval 300: snapshot ${snapMs} ms, full replay ${fullMs} ms`);
  const state = page.getByRole('region', { name: 'Snapshot folds' });
  await expect(page.getByLabel('From the latest snapshot: state')).toContainText('Long history 1');
  await expect(page.getByLabel('Full replay from the first event: state')).toContainText('150000');
  await state.screenshot({ path: screenshotPath('snapshots') });

  // A reload keeps the interval and the pick, and folds again.
  await page.reload();
  await expect(page.getByLabel('Snapshot interval')).toHaveValue('300');
  await expect(page.getByLabel('Aggregate')).toHaveValue(/^history:Customer:h-/);
  await expect(page.getByTestId('snap-folded')).toHaveText('200', { timeout: 60_000 });
  await expect(page.getByTestId('full-folded')).toHaveText('5,000');
  expect(problems.messages).toEqual([]);
});

test('a lab customer is folded from its first event when snapshots are off', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('./lab');
  const form = page.getByRole('form', { name: 'Create a customer' });
  await form.getByLabel('Name').fill('Ada Lovelace');
  await form.getByLabel('Credit limit ($)').fill('1000');
  await form.getByRole('button', { name: 'Create customer' }).click();
  await expect(form.getByRole('status')).toContainText('Stored CustomerCreated #1');
  await goToView(page, 'Snapshots');

  await page.getByLabel('Snapshot interval').selectOption('0');
  const ada = await page.getByLabel('Aggregate').locator('option', { hasText: 'Ada Lovelace' }).getAttribute('value');
  await page.getByLabel('Aggregate').selectOption(ada ?? '');
  await expect(page.getByTestId('full-folded')).toHaveText('1');
  await expect(page.getByTestId('fold-note')).toContainText('Snapshots are off');
  await expect(page.getByTestId('snap-from')).toHaveText('no snapshot');
  await expect(page.getByLabel('Full replay from the first event: state')).toContainText('Ada Lovelace');
  await page.screenshot({ path: screenshotPath('snapshots-dark'), fullPage: true });
  expect(problems.messages).toEqual([]);
});
