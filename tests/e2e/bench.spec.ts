// The benchmark page in its quick mode: it measures every figure the page can (a to e, h, i and k) in this
// browser and shows them with their goals, without a console error. The figures' values are what
// `cargo xtask bench` reports; this only checks the page produces them, and that the page leaves the
// offline worker for another page.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';

test('the benchmark page measures every figure in quick mode', async ({ page }) => {
  test.setTimeout(600_000);
  const problems = trackConsoleErrors(page);
  await page.goto('./bench?run=quick');
  await expect(page.getByRole('heading', { name: 'How fast is this?' })).toBeVisible();
  const table = page.getByTestId('bench-table');
  await expect(table).toBeVisible({ timeout: 580_000 });
  for (const id of ['a', 'b', 'b+', 'c', 'd', 'e', 'h', 'i', 'k']) {
    const row = page.getByTestId(`bench-row-${id}`);
    await expect(row).toBeVisible();
    // Every measured side shows a median time.
    await expect(row.locator('td').first()).toContainText(/\d ms/);
  }
  // a, b, c, e, h, i and k have their ratio judged against the goal in the page; d needs the native side.
  for (const id of ['a', 'b', 'c', 'e', 'h', 'i', 'k']) {
    await expect(page.getByTestId(`bench-row-${id}`)).toHaveAttribute('data-verdict', /^(met|missed)$/);
  }
  await expect(page.getByTestId('bench-row-d')).toHaveAttribute('data-verdict', 'needs cargo xtask bench');
  const results = await page.evaluate(() => (window as unknown as { foldlabBench: { figures: { id: string; ours: { runs_ms: number[] } }[] } }).foldlabBench);
  expect(results.figures.map((f) => f.id)).toEqual(['a', 'b', 'b+', 'c', 'd', 'e', 'h', 'i', 'k']);
  for (const f of results.figures) expect(f.ours.runs_ms.length).toBeGreaterThanOrEqual(10);
  await page.screenshot({ path: screenshotPath('bench-quick'), fullPage: true });

  // The offline worker is not registered while the page measures (its caching of the whole build
  // slowed the writes timed here); it is once the learner goes to another page.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
  await page.getByRole('link', { name: 'Lab', exact: true }).first().click();
  await expect(page.locator('html')).toHaveAttribute('data-lab', 'ready');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });

  expect(problems.messages).toEqual([]);
});
