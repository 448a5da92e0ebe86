// Projection lag, as a workshop shows it: each view beside its checkpoint; pause the customer view
// and watch its lag grow under load, step it by hand, catch it up, rebuild it, add a projection
// later and watch it catch up, and read a view straight after a command to see it stale, then wait
// for it.
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { goToView } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';

async function createCustomer(page: Page, name: string, limit: string) {
  const form = page.getByRole('form', { name: 'Create a customer' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Credit limit ($)').fill(limit);
  await form.getByRole('button', { name: 'Create customer' }).click();
  await expect(form.getByRole('status')).toContainText('Stored CustomerCreated');
}

const row = (page: Page, label: string) => page.getByTestId('projections').getByRole('row', { name: label });
const behind = (page: Page, label: string) => row(page, label).getByTestId('behind');
const card = (page: Page, label: string) => page.getByRole('article', { name: label, exact: true });
/** Seconds in "Stale for": `3.2 s`, `45 s`, `2 min 5 s`. */
const staleSeconds = async (page: Page, label: string) => {
  const text = (await row(page, label).getByTestId('behind-ms').textContent()) ?? '';
  const minutes = /(\d+) min/.exec(text);
  const seconds = /([\d.]+) s/.exec(text);
  return (minutes ? Number(minutes[1]) * 60 : 0) + (seconds ? Number(seconds[1]) : 0);
};

test('a paused view lags under load, is stepped, caught up, rebuilt; a projection added later catches up', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const problems = trackConsoleErrors(page);
  await page.goto('./lab');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await createCustomer(page, 'Grace Hopper', '100000');
  await goToView(page, 'Projections');
  await expect(page.getByRole('heading', { name: 'Projection lag' })).toBeVisible();

  // While the page is open every running projection catches up at once.
  await expect(behind(page, 'Customer view')).toHaveText('0');
  await expect(behind(page, 'Order history')).toHaveText('0');
  await expect(row(page, 'New customers with high value orders')).toHaveCount(0);

  await page.getByRole('button', { name: 'Pause Customer view' }).click();
  await expect(page.getByRole('button', { name: 'Resume Customer view' })).toBeVisible();
  await page.getByRole('button', { name: 'Place 20 orders' }).click();
  await expect(page.getByTestId('lag-note')).toContainText('Placed 20 orders');
  await expect(page.getByTestId('head')).toContainText('#21');
  await expect(behind(page, 'Customer view')).toHaveText('20');
  await expect(behind(page, 'Order history')).toHaveText('0');
  // Stale for: since the first event it has not applied was stored, until now — so it grows while
  // the view stands still, though no new event arrives.
  const staleBefore = await staleSeconds(page, 'Customer view');
  expect(staleBefore).toBeGreaterThan(0);
  await expect.poll(() => staleSeconds(page, 'Customer view'), { timeout: 5_000 }).toBeGreaterThan(staleBefore + 1);
  // Each view is shown beside its checkpoint: the paused customer view still holds no order, the
  // order history holds all twenty (six shown, and how many more).
  await expect(card(page, 'Customer view').getByRole('row', { name: /Grace Hopper/ }).locator('td').last()).toHaveText('0');
  await expect(card(page, 'Order history')).toContainText('and 14 more');
  await expect(card(page, 'Customer view')).toContainText('Paused');
  // The chart has axes, with names.
  const chart = page.getByTestId('lag-chart');
  await expect(chart).toContainText('events behind');
  await expect(chart).toContainText('time (seconds ago)');
  await expect(chart).toContainText('now');
  await page.getByRole('figure').filter({ has: chart }).screenshot({ path: screenshotPath('projections-lag-chart') });

  // A step by hand moves a paused view one event; it stays paused.
  await page.getByRole('button', { name: 'Step Customer view' }).click();
  await expect(behind(page, 'Customer view')).toHaveText('19');
  await expect(row(page, 'Customer view').getByTestId('checkpoint')).toHaveText('#2');
  // The move is in the lab's journal, with every checkpoint after it, so time travel stays true.
  const last = await page.evaluate(() => {
    const entries = JSON.parse(localStorage.getItem('foldlab-journal') ?? '[]');
    return entries.filter((e: { subscriber: string }) => e.subscriber === 'customer-view').at(-1);
  });
  expect(last.event_id).toBe(2);
  expect(last.head).toBe(21);
  expect(last.positions).toContainEqual(['customer-view', 2]);
  await expect(page.getByRole('button', { name: 'Resume Customer view' })).toBeVisible();

  // Resumed, slowed to one event every 200 ms, it drains; catching up takes the rest at once.
  await card(page, 'Customer view').getByLabel('Delay for Customer view').selectOption('200');
  await page.getByRole('button', { name: 'Resume Customer view' }).click();
  await expect.poll(async () => Number(await behind(page, 'Customer view').textContent())).toBeLessThan(19);
  await page.getByRole('button', { name: 'Catch up Customer view' }).click();
  await expect(behind(page, 'Customer view')).toHaveText('0');
  await expect(row(page, 'Customer view').getByTestId('checkpoint')).toHaveText('#21');

  await page.getByRole('button', { name: 'Rebuild Order history' }).click();
  await expect(page.getByTestId('lag-note')).toContainText('Order history rebuilt from position 0: applied 21 events');
  await expect(behind(page, 'Order history')).toHaveText('0');

  // Added later, the new projection starts at checkpoint 0 and catches up from the first event.
  await page.getByRole('button', { name: 'Add “new customers with high value orders”' }).click();
  await expect(page.getByTestId('lag-note')).toContainText('added at checkpoint 0');
  await expect(row(page, 'New customers with high value orders')).toBeVisible();
  await expect
    .poll(async () => Number(await behind(page, 'New customers with high value orders').textContent()))
    .toBeGreaterThan(0);
  await expect(behind(page, 'New customers with high value orders')).toHaveText('0', { timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Add “new customers with high value orders”' })).toHaveCount(0);

  // The settings survive a reload: the new projection stays added, the delay stays.
  await page.reload();
  await expect(row(page, 'New customers with high value orders')).toBeVisible();
  await expect(card(page, 'Customer view').getByLabel('Delay for Customer view')).toHaveValue('200');
  await screenshotsAtThreeSizes(page, 'projections');
  expect(problems.messages).toEqual([]);
});

test('the pace chosen stays shown while a burst of orders drains at that pace', async ({ page }) => {
  test.setTimeout(60_000);
  const problems = trackConsoleErrors(page);
  await page.goto('./lab');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await createCustomer(page, 'Ada Lovelace', '500');
  await goToView(page, 'Projections');
  await expect(behind(page, 'Customer view')).toHaveText('0');
  // A limit below $1,000.00 is low: the low-credit view lists her.
  await expect(card(page, 'Customers with a low credit limit')).toContainText('Ada Lovelace');

  const pace = card(page, 'Customer view').getByLabel('Delay for Customer view');
  await pace.selectOption('500');
  await page.getByRole('button', { name: 'Place 20 orders' }).click();
  await expect(page.getByTestId('lag-note')).toContainText('Placed 20 orders');
  // The bug: the selector went back to "at once" while the view drained one event every 500 ms.
  await expect.poll(async () => Number(await behind(page, 'Customer view').textContent())).toBeGreaterThan(3);
  for (let i = 0; i < 4; i++) {
    await expect(pace).toHaveValue('500');
    await expect(pace.locator('option:checked')).toHaveText('1 event / 500 ms');
    await page.waitForTimeout(400);
  }
  await expect(behind(page, 'Customer view')).not.toHaveText('0');
  await expect(behind(page, 'Customer view')).toHaveText('0', { timeout: 30_000 });
  await expect(pace).toHaveValue('500');
  expect(problems.messages).toEqual([]);
});

test('while a lesson moves the views itself, the page says they are paused, and they run again after', async ({
  page,
}) => {
  const problems = trackConsoleErrors(page);
  await page.goto('./lab');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  // The lesson that pauses, steps and rebuilds projections is halfway through.
  await page.evaluate(() =>
    localStorage.setItem(
      'foldlab-lesson',
      JSON.stringify({ id: 'rebuilding_and_adding_a_projection', shown: 1, walk: { happened: 1, ran: 1, answers: [] } }),
    ),
  );
  await createCustomer(page, 'Ada Lovelace', '500');
  await goToView(page, 'Projections');
  await expect(page.getByTestId('held')).toHaveText(/^Paused while the lesson “Can a view added later know the past\?” moves the views itself/);
  await page.waitForTimeout(1_000);
  await expect(behind(page, 'Order history')).toHaveText('1');
  await expect(card(page, 'Order history')).toContainText('Held while the lesson moves it.');
  await screenshotsAtThreeSizes(page, 'projections-held');

  // The lesson is over: the views move again, and the page stops saying they are paused.
  await page.evaluate(() => localStorage.removeItem('foldlab-lesson'));
  await expect(page.getByTestId('held')).toHaveCount(0);
  await expect(card(page, 'Order history')).toContainText('Moves by itself wherever you are.');
  await expect(behind(page, 'Order history')).toHaveText('0');
  await expect(behind(page, 'Customer view')).toHaveText('0');
  expect(problems.messages).toEqual([]);
});

test('a read straight after a command is stale, and waiting for the view reads your own write', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.goto('./lab');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await createCustomer(page, 'Ada Lovelace', '1000');
  await goToView(page, 'Projections');
  await expect(behind(page, 'Customer view')).toHaveText('0');

  await page.getByRole('button', { name: 'Place an order and read the view at once' }).click();
  const answer = page.getByTestId('stale-read');
  await expect(answer).toContainText('Stale: the command stored OrderCreated #2');
  await expect(answer).toContainText('at checkpoint #1, does not have it yet');
  await expect(answer).toContainText('The view returned for Ada Lovelace: no recent orders.');
  // The page leaves the view alone while the stale answer is shown.
  await expect(behind(page, 'Customer view')).toHaveText('1');

  await answer.getByRole('button', { name: 'Wait for the view' }).click();
  await expect(answer.getByTestId('waited')).toContainText('The view has applied #2');
  await expect(answer.getByTestId('waited')).toContainText('is now among its recent orders');
  await expect(behind(page, 'Customer view')).toHaveText('0');
  await page.screenshot({ path: screenshotPath('projections-stale-read'), fullPage: true });
  expect(problems.messages).toEqual([]);
});
