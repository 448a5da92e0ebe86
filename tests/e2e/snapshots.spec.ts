// Snapshot folds, as a person uses them: generate a long history in the second store, change the
// snapshot interval, and see the result first — events folded and milliseconds as two bars each,
// the snapshot's place on a strip of the history moving with the interval — the load from the
// snapshot folding fewer events than the full replay, both reaching the same state; the interval
// survives a reload.
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { goToView } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';

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
  await page.getByText('Where it is kept, and what its events are').click();
  await expect(page.getByTestId('history-place')).toContainText('in IndexedDB (“foldlab-history”)');
  // Benchmarks live on /bench, not on a teaching view.
  await expect(page.getByTestId('measured-here')).toHaveCount(0);

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
  // The result leads: two bars of events folded, and the snapshot's place in the history.
  const result = page.getByRole('region', { name: 'The result' });
  await expect(result.getByRole('img', { name: /^Events folded: from the snapshot 0, full replay 5,000$/ })).toBeVisible();
  await expect(result.getByRole('img', { name: /^Milliseconds: from the snapshot \d+\.\d ms, full replay \d+\.\d ms$/ })).toBeVisible();
  await expect(result.getByTestId('history-strip-text')).toHaveText(
    'The history: 5,000 events. The snapshot sits at version 5,000; a load folds the 0 events after it.',
  );
  const snapMarkAt100 = await result.locator('.hist-snap').boundingBox();

  // Every 300 events: the snapshot is taken at 4,800 at once, and 200 events follow it.
  await page.getByLabel('Snapshot interval').selectOption('300');
  await expect(page.getByTestId('fold-note')).toContainText('Took a snapshot at version 4,800', { timeout: 60_000 });
  await expect(page.getByTestId('fold-note')).toContainText('Both folds reached the same state', { timeout: 60_000 });
  await expect(page.getByTestId('snap-from')).toContainText('the snapshot at version 4,800');
  await expect(page.getByTestId('snap-folded')).toHaveText('200');
  await expect(page.getByTestId('full-folded')).toHaveText('5,000');
  // The snapshot moved: on the strip it now sits at 4,800 of 5,000, left of where it was.
  await expect(result.getByTestId('history-strip-text')).toHaveText(
    'The history: 5,000 events. The snapshot sits at version 4,800; a load folds the 200 events after it.',
  );
  await expect(result.getByRole('img', { name: /^Events folded: from the snapshot 200, full replay 5,000$/ })).toBeVisible();
  await expect
    .poll(async () => (await result.locator('.hist-snap').boundingBox())?.x ?? 0)
    .toBeLessThan(snapMarkAt100?.x ?? 0);
  // Every 1,000 events: 4,000 + 1,000 folded.
  await page.getByLabel('Snapshot interval').selectOption('1000');
  await expect(result.getByTestId('history-strip-text')).toHaveText(
    'The history: 5,000 events. The snapshot sits at version 5,000; a load folds the 0 events after it.',
    { timeout: 60_000 },
  );
  await page.getByLabel('Snapshot interval').selectOption('300');
  await expect(page.getByTestId('snap-folded')).toHaveText('200', { timeout: 60_000 });
  const snapMs = number(await page.getByTestId('snap-ms').textContent());
  const fullMs = number(await page.getByTestId('full-ms').textContent());
  await expect(page.getByTestId('snap-ms')).toHaveText(/^\d+\.\d ms$/);
  await expect(page.getByTestId('full-ms')).toHaveText(/^\d+\.\d ms$/);
  console.log(`fold timings, 5,000 events, interval 300: snapshot ${snapMs} ms, full replay ${fullMs} ms`);
  const state = page.getByRole('region', { name: 'Snapshot folds' });
  await expect(page.getByLabel('From the latest snapshot: state')).toContainText('Long history 1');
  await expect(page.getByLabel('Full replay from the first event: state')).toContainText('150000');
  // Both sides have finished folding (the snapshot side shows its tail folded event by event).
  await expect(page.getByTestId('fold-note')).toContainText('Both folds reached the same state', { timeout: 60_000 });
  await expect(page.getByLabel('From the latest snapshot: state')).toContainText('150000');
  await state.screenshot({ path: screenshotPath('snapshots') });
  await screenshotsAtThreeSizes(page, 'snapshots');

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
  const result = page.getByRole('region', { name: 'The result' });
  await expect(result.getByTestId('result-sentence')).toHaveText(/^No snapshot to start from, so a load is the full replay: 1 event in \d+\.\d ms\.$/);
  await expect(result.getByTestId('history-strip-text')).toHaveText('The history: 1 event and no snapshot; a load folds every one.');
  await expect(page.getByLabel('Full replay from the first event: state')).toContainText('Ada Lovelace');
  await page.screenshot({ path: screenshotPath('snapshots-dark'), fullPage: true });
  expect(problems.messages).toEqual([]);
});
