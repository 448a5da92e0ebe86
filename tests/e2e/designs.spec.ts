// The Designs view: the same story under seven designs on localStorage, a crash where the learner
// picks, a prediction before the reveal, the design's tables as stored, the checker's sentences,
// the lesson, and the simulator's table computed in the page.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { openSettings, toggleLargeText, LabPage } from './support/lab';

async function openDesigns(page: Page) {
  const lab = new LabPage(page);
  await lab.open();
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Designs' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Seven designs, one story' })).toBeVisible();
}

/** Chooses a design and a crash, predicts, runs, and waits for the result. */
async function runDesign(
  page: Page,
  design: string,
  crash: string,
  prediction: string,
  options: { switchOn?: boolean } = {},
) {
  await page.getByLabel('Design', { exact: true }).selectOption({ label: design });
  await page.getByLabel('Crash', { exact: true }).selectOption({ label: crash });
  if (options.switchOn) {
    await page.getByRole('checkbox', { name: /^(Publish first, then write|Be the developer who forgets)/ }).check();
  }
  const run = page.getByRole('button', { name: 'Run the story' });
  // Nothing is revealed before a prediction.
  await expect(run).toBeDisabled();
  await expect(page.getByText('Pick a prediction first.')).toBeVisible();
  await page.getByRole('group', { name: 'Your prediction: what will the checker find?' })
    .getByRole('radio', { name: prediction, exact: true }).check();
  await run.click();
  await expect(page.getByRole('heading', { level: 3, name: /left behind/ })).toBeVisible();
}

function findings(page: Page) {
  return page.getByTestId('findings');
}

function table(page: Page, name: string) {
  return page.getByRole('region', { name });
}

test('a dual write that crashes between the write and the publish leaves order o-1 NEW for good', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  await runDesign(page, '3. Services with a dual write', 'Between the database write and the publish', 'An order stays NEW for good');

  await expect(page.getByTestId('verdict')).toHaveText('You predicted: an order stays NEW for good. Right: the checker found it.');
  await expect(page.getByTestId('crash-line')).toHaveText(
    'The crash: the Order service crashed after writing o-1 to ORDERS, before publishing OrderCreated.',
  );
  await expect(findings(page)).toHaveText('Order o-1 is NEW and no event about it will ever be published.');
  // The tables as stored: o-1 is in ORDERS as NEW, and the broker never heard of it.
  const orders = table(page, 'ORDERS in orders-db');
  await expect(orders.getByRole('row').filter({ hasText: 'o-1' })).toContainText('NEW');
  await expect(table(page, 'MESSAGES in broker')).not.toContainText('o-1');
  await expect(table(page, 'MESSAGES in broker').getByRole('row').filter({ hasText: 'o-2' }).first()).toContainText('OrderCreated');
  // Real storage: one localStorage record per database.
  const stored = await page.evaluate(() => localStorage.getItem('foldlab-designs/dual-write/orders-db'));
  expect(stored).toContain('"o-1"');
  // The same crash under all seven designs, each on its own records.
  const everywhere = table(page, 'The same crash under all seven designs');
  await expect(everywhere.getByRole('row', { name: /^3\. Services with a dual write/ })).toContainText(
    'Order o-1 is NEW and no event about it will ever be published.',
  );
  await expect(everywhere.getByRole('row', { name: /^7\. Event sourcing/ })).toContainText('Nothing broken.');
  await expect(everywhere.getByRole('row', { name: /^6\. EVENTS table/ })).toContainText('Nothing broken.');
  await expect(everywhere.getByRole('row', { name: /^4\. Publish first/ })).toContainText('did not see it');
  // The lesson, with its source.
  const lesson = page.getByRole('article', { name: 'Lesson: Services with a dual write' });
  await expect(lesson).toContainText('Updating the database and publishing an event must be done atomically.');
  await expect(lesson).toContainText('From Part 2, Reliably Updating State and Publishing Events.');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: screenshotPath('designs-dual-write'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('publishing before the write and crashing in between announces an order that was never stored', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  await runDesign(page, '3. Services with a dual write', 'Between the database write and the publish', 'Nothing breaks', { switchOn: true });

  await expect(page.getByTestId('verdict')).toHaveText('You predicted that nothing breaks. Not so: see what the checker found.');
  await expect(findings(page)).toHaveText(
    'The broker announced order o-1, which was never stored. Customer c-1 holds $60 of credit for it.',
  );
  await expect(table(page, 'ORDERS in orders-db')).not.toContainText('o-1');
  await expect(table(page, 'RESERVATIONS in customers-db').getByRole('row').filter({ hasText: 'o-1' })).toContainText('RESERVED');
  expect(problems.messages).toEqual([]);
});

test('event sourcing loses nothing at any crash point', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  for (const crash of ['Between the database write and the publish', 'Right after the publish', 'In a consumer, after its write']) {
    await runDesign(page, '7. Event sourcing', crash, 'Nothing breaks');
    await expect(page.getByTestId('verdict')).toHaveText('You predicted that nothing breaks. Right: the checker found nothing.');
    await expect(page.getByTestId('no-findings')).toHaveText('The checker found nothing broken.');
  }
  // The crash in the consumer hit the Customer service right after its append; the event stayed.
  await expect(page.getByTestId('crash-line')).toHaveText(
    'The crash: the Customer service crashed right after appending CreditReserved for o-1.',
  );
  const events = table(page, 'EVENTS in event-store');
  await expect(events.getByRole('row')).toHaveCount(1 + 10);
  await expect(events.getByRole('row').filter({ hasText: 'CreditLimitExceeded' })).toContainText('o-3');
  await expect(page.getByRole('article', { name: 'Lesson: Event sourcing' })).toContainText(
    'From Part 2, Developing Microservices with Event Sourcing.',
  );
  await page.screenshot({ path: screenshotPath('designs-event-sourcing'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('each of the other designs says what it left behind, in words', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);

  await runDesign(page, '1. Monolith', 'Between the database write and the publish', 'ORDERS and CUSTOMERS in one database');
  await expect(findings(page)).toHaveText(/ORDERS and CUSTOMERS are both in monolith-db\./);
  await expect(page.getByRole('article', { name: 'Lesson: Monolith' })).toContainText(
    'From Part 1, Problem #2 - Implementing Transactions That Span Services.',
  );

  await runDesign(page, '2. One bigger aggregate', 'No crash', 'Orders of one customer conflict (serialized)');
  await expect(findings(page)).toContainText(
    'Two orders of customer c-1 were placed at once. Order o-3 was refused by a conflict and had to be retried',
  );
  await expect(page.getByRole('listitem').filter({ hasText: 'another order got in first' })).toBeVisible();
  await expect(page.getByRole('article', { name: 'Lesson: One bigger aggregate' })).toContainText(
    'From Part 1, One Transaction Creates or Updates One Aggregate.',
  );

  await runDesign(page, '4. Publish first', 'Right after the publish', 'A read right after a command misses it');
  await expect(findings(page)).toContainText('A read right after placing order o-2 did not see it.');

  await runDesign(page, '5. Transaction-log tailing', 'No crash', 'Row changes published, not business events');
  await expect(findings(page)).toContainText('UPDATE of CUSTOMERS.credit_reserved (c-1: 0 → 60), not events like CreditReserved');
  await expect(table(page, 'TRANSACTION_LOG in customers-db')).toContainText('credit_reserved');

  await runDesign(page, '6. EVENTS table in the same transaction', 'No crash', 'A change with no event: lost silently', { switchOn: true });
  await expect(findings(page)).toContainText('Order o-1 is APPROVED, but no event saying so was ever published: lost silently.');
  await expect(table(page, 'EVENTS in orders-db')).not.toContainText('OrderApproved');
  expect(problems.messages).toEqual([]);
});

test('the simulator table is computed in the page, with the command that prints it', async ({ page }) => {
  test.setTimeout(90_000);
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  const sim = page.getByRole('region', { name: 'Every design, 1,000 seeds' });
  await expect(sim.getByText('cargo run -p foldlab-designs --bin designs', { exact: true })).toBeVisible();
  await sim.getByRole('button', { name: 'Run the simulator' }).click();
  await expect(sim.getByRole('status')).toHaveText('Done: 1,000 seeds per design.', { timeout: 60_000 });
  const rows = sim.getByTestId('sim-table').locator('tbody tr');
  await expect(rows.filter({ hasText: 'Event sourcing' })).toHaveText(/Event sourcing\s*none\s*0\/1000\s*0\.0%/);
  await expect(rows.filter({ hasText: 'Services with a dual write' }).filter({ hasText: 'an order stays NEW for good' })).toBeVisible();
  await expect(rows.filter({ hasText: 'Publish first' }).filter({ hasText: 'a read right after a command misses it' }))
    .toContainText('1000/1000');
  await sim.screenshot({ path: screenshotPath('designs-simulator') });
  expect(problems.messages).toEqual([]);
});

test('on a projector with large text and by keyboard, and on a phone, the view fits', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.setViewportSize({ width: 1024, height: 768 });
  await openDesigns(page);
  await toggleLargeText(page);
  // The teacher, by keyboard: choose a prediction with the arrow keys and run with Enter.
  await page.getByLabel('Design', { exact: true }).selectOption({ label: '3. Services with a dual write' });
  await page.getByRole('radio', { name: 'Nothing breaks' }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: 'ORDERS and CUSTOMERS in one database' })).toBeChecked();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: 'An order stays NEW for good' })).toBeChecked();
  await page.getByRole('button', { name: 'Run the story' }).focus();
  await page.keyboard.press('Enter');
  await expect(findings(page)).toHaveText('Order o-1 is NEW and no event about it will ever be published.');
  await page.screenshot({ path: screenshotPath('designs-projector-large') });
  await page.screenshot({ path: screenshotPath('designs-projector-large-full'), fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);

  await toggleLargeText(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(findings(page)).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath('designs-phone'), fullPage: true });
  await page.getByTestId('verdict').scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('designs-phone-result') });
  await page.getByTestId('db-customers-db').scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('designs-phone-tables') });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath('designs-phone-top') });
  expect(problems.messages).toEqual([]);
});

for (const theme of ['light', 'dark'] as const) {
  test(`a run's result, its tables and the simulator's table pass axe's WCAG A/AA checks (${theme})`, async ({ page }) => {
    const problems = trackConsoleErrors(page);
    await page.emulateMedia({ colorScheme: theme });
    await openDesigns(page);
    await runDesign(page, '5. Transaction-log tailing', 'In a consumer, after its write', 'Row changes published, not business events');
    await expect(findings(page)).toBeVisible();
    const sim = page.getByRole('region', { name: 'Every design, 1,000 seeds' });
    await sim.getByRole('button', { name: 'Run the simulator' }).click();
    await expect(sim.getByRole('status')).toHaveText('Done: 1,000 seeds per design.', { timeout: 60_000 });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
    const found = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    expect(found).toEqual([]);
    await page.screenshot({ path: screenshotPath(`designs-log-tailing-${theme}`), fullPage: true });
    expect(problems.messages).toEqual([]);
  });
}

test('a full localStorage stops the run with a clear message, and the next run works', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  // Take every byte localStorage has left, in halving pieces.
  const pieces = await page.evaluate(() => {
    let size = 1 << 20;
    let n = 0;
    while (size > 0) {
      try {
        localStorage.setItem(`designs-filler-${n}`, 'f'.repeat(size));
        n += 1;
      } catch {
        size >>= 1;
      }
    }
    return n;
  });
  expect(pieces).toBeGreaterThan(0);
  await runDesignExpectingError(page);
  await expect(page.getByTestId('design-result').getByRole('alert')).toContainText(
    "The browser's storage is full, so dual-write/customers-db was not saved. Nothing of that write was stored.",
  );
  await page.evaluate(() => {
    for (const key of Object.keys(localStorage)) if (key.startsWith('designs-filler-')) localStorage.removeItem(key);
  });
  await runDesign(page, '3. Services with a dual write', 'No crash', 'Nothing breaks');
  await expect(page.getByTestId('no-findings')).toBeVisible();
  expect(problems.messages).toEqual([]);
});

async function runDesignExpectingError(page: Page) {
  await page.getByLabel('Design', { exact: true }).selectOption({ label: '3. Services with a dual write' });
  await page.getByRole('radio', { name: 'Nothing breaks' }).check();
  await page.getByRole('button', { name: 'Run the story' }).click();
}

test('the address keeps the chosen design, crash and switch, so a reload or a shared link opens them', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  await page.getByLabel('Design', { exact: true }).selectOption({ label: '6. EVENTS table in the same transaction' });
  await page.getByLabel('Crash', { exact: true }).selectOption({ label: 'Right after the publish' });
  await page.getByRole('checkbox', { name: /^Be the developer who forgets/ }).check();
  await expect(page).toHaveURL(/\/designs\?design=events-table&crash=after-publish&switch=on$/);
  await page.reload();
  await expect(page.getByLabel('Design', { exact: true })).toHaveValue('events-table');
  await expect(page.getByLabel('Crash', { exact: true })).toHaveValue('after-publish');
  await expect(page.getByRole('checkbox', { name: /^Be the developer who forgets/ })).toBeChecked();
  // Predict, run: the forgotten events are named.
  await page.getByRole('radio', { name: 'A change with no event: lost silently' }).check();
  await page.getByRole('button', { name: 'Run the story' }).click();
  await expect(page.getByTestId('verdict')).toContainText('Right: the checker found it.');
  expect(problems.messages).toEqual([]);
});

test('Reset lab deletes the designs records too, and the page forgets the result read from them', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openDesigns(page);
  await runDesign(page, '3. Services with a dual write', 'Between the database write and the publish', 'An order stays NEW for good');
  const designKeys = () =>
    page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('foldlab-designs/')).length);
  expect(await designKeys()).toBeGreaterThan(0);

  await openSettings(page);
  await page.getByRole('button', { name: 'Reset lab…' }).click();
  await page.getByRole('button', { name: 'Yes, delete everything' }).click();
  await expect(page.getByRole('heading', { level: 3, name: /left behind/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Run the story' })).toBeDisabled();
  expect(await designKeys()).toBe(0);
  // The lab's own records are untouched by the designs, and the next run works.
  await page.getByRole('group', { name: 'Your prediction: what will the checker find?' })
    .getByRole('radio', { name: 'An order stays NEW for good', exact: true }).check();
  await page.getByRole('button', { name: 'Run the story' }).click();
  await expect(findings(page)).toHaveText('Order o-1 is NEW and no event about it will ever be published.');
  expect(problems.messages).toEqual([]);
});
