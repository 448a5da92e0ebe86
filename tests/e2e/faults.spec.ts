// Faults on demand: each card asks what will happen, breaks the real store in the browser, then
// says whether the prediction was right, what happened and which mechanism survived it; two cards
// run the same fault again with the mechanism switched off, on a scratch store.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { goToView, LabPage, toggleLargeText } from './support/lab';

async function openFaults(page: Page) {
  const lab = new LabPage(page);
  await lab.open();
  await goToView(page, 'Faults');
  await expect(page.getByRole('heading', { name: 'Faults on demand' })).toBeVisible();
  return lab;
}

function card(page: Page, name: string) {
  return page.getByRole('article', { name });
}

/** Answers a card's question with the choice of this name. */
async function predict(card: Locator, choice: string) {
  await card.getByRole('radio', { name: choice }).check();
}

test('delivering an event twice is discarded by the checkpoint', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openFaults(page);
  const twice = card(page, 'Deliver an event twice');
  // It asks before it runs.
  await expect(twice.getByRole('button', { name: 'Deliver an event twice' })).toBeDisabled();
  await predict(twice, 'It is discarded as a duplicate: no credit is reserved twice');

  await twice.getByRole('button', { name: 'Deliver an event twice' }).click();
  await expect(twice.getByTestId('verdict')).toContainText('You were right.');

  await expect(twice).toContainText('OrderCreated #2 (Order');
  await expect(twice).toContainText('its checkpoint is at #2');
  await expect(twice).toContainText('Outcome: duplicate discarded.');
  await expect(twice.locator('.survived')).toContainText('tracks the highest event_id it has handled');
  // The delivery is in the lab's steps like any other.
  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  await expect(page.getByTestId('steps').locator('li').first()).toContainText('duplicate');
  expect(problems.messages).toEqual([]);
});

test('a crash between effect and checkpoint is recognised by the effect\'s causation id', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openFaults(page);
  const crash = card(page, 'Crash a service between its effect and its checkpoint');

  await predict(crash, 'The credit is reserved twice');
  await crash.getByRole('button', { name: 'Crash the Customer service before its checkpoint' }).click();
  await expect(crash.getByTestId('verdict')).toContainText('Not quite: It is discarded: the stored effect names that event as its cause.');

  await expect(crash).toContainText('appended CreditReserved #3 to Customer');
  await expect(crash).toContainText('with causation_id #2');
  await expect(crash).toContainText('Then it crashed before saving its checkpoint, which stayed at #0');
  await expect(crash).toContainText('So OrderCreated #2 was delivered again');
  await expect(crash).toContainText('Outcome: duplicate discarded.');
  await expect(crash).toContainText('Its checkpoint moved to #2; the $100.00 is reserved once.');
  await expect(crash.locator('.survived')).toContainText('The effect records its cause.');
  await page.screenshot({ path: screenshotPath('faults-crash'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('two orders racing for the last credit: one conflict, a retry, one reservation', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = await openFaults(page);
  const race = card(page, 'Race two orders for the last credit');

  await predict(race, 'One gets the credit; the other is refused and its order cancelled');
  await race.getByRole('button', { name: 'Race two orders for the last credit' }).click();

  await expect(race).toContainText('#2 stored CreditReserved #4 (the credit is reserved), first try.');
  await expect(race).toContainText('The append for #3 expected version 1 of Customer');
  await expect(race).toContainText('but found version 2: a concurrency conflict, nothing stored.');
  await expect(race).toContainText('#3 stored CreditLimitExceeded #5 (the credit left is not enough, so the order is refused).');
  await expect(race).toContainText(/Order o-\w+ is APPROVED, Order o-\w+ is CANCELLED/);
  await expect(race).toContainText('has $60.00 reserved: exactly one reservation won.');
  await expect(race.locator('.survived')).toContainText('Optimistic concurrency on one aggregate.');

  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  expect(await lab.eventTypes()).toEqual([
    'CustomerCreated', 'OrderCreated', 'OrderCreated', 'CreditReserved', 'CreditLimitExceeded',
    'OrderApproved', 'OrderCancelled',
  ]);
  expect(problems.messages).toEqual([]);
});

test('an old-schema OrderCreated is stored as v1 and folded as v2', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await openFaults(page);
  const v1 = card(page, 'Load old-schema (v1) events');

  await predict(v1, 'The current schema: it is upcast on read, and the stored row stays as written');
  await v1.getByRole('button', { name: 'Load a v1 OrderCreated' }).click();

  await expect(v1).toContainText('Stored in the event store (schema_version 1)');
  await expect(v1.getByTestId('stored-json')).toContainText('"order_total_cents": 12500');
  await expect(v1.getByTestId('stored-json')).not.toContainText('line_items');
  await expect(v1).toContainText('What the fold sees (schema_version 2)');
  await expect(v1.getByTestId('folded-json')).toContainText('"line_items"');
  await expect(v1.getByTestId('folded-json')).toContainText('"unit_price_cents": 12500');
  await expect(v1).toContainText('NEW, total $125.00');
  await expect(v1.locator('.survived')).toContainText('Upcasting on read.');
  await page.screenshot({ path: screenshotPath('faults'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('faults-dark'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('IndexedDB can be turned off for the localStorage fallback and back on', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = await openFaults(page);
  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.expectEventCount(1);
  await goToView(page, 'Faults');
  const idb = card(page, 'Disable IndexedDB for the localStorage fallback');
  await expect(idb.getByTestId('idb-state')).toHaveText('IndexedDB is on: the events are kept in IndexedDB.');

  await idb.getByRole('button', { name: 'Turn IndexedDB off and reload' }).click();

  await expect(lab.backend).toHaveText('Events kept in localStorage');
  await expect(page.getByTestId('fallback-note')).toContainText('it was turned off on the Faults page');
  await expect(idb.getByTestId('idb-state')).toHaveText('IndexedDB is turned off: this page load keeps its events in localStorage.');
  // A separate store: Ada's event stayed in IndexedDB.
  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  await lab.expectEventCount(0);
  // Each store keeps its own journal: none of IndexedDB's steps are told against this empty log.
  await expect(lab.steps).toHaveCount(0);
  await goToView(page, 'Faults');

  await idb.getByRole('button', { name: 'Turn IndexedDB back on and reload' }).click();

  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  await expect(page.getByTestId('fallback-note')).toHaveCount(0);
  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  await lab.expectEventCount(1);
  await expect(lab.steps.first()).toContainText('CustomerCreated #1');
  expect(problems.messages).toEqual([]);
});

test('a fault asks first, then shows what its mechanism prevents on a scratch store', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = await openFaults(page);
  const twice = card(page, 'Deliver an event twice');
  await predict(twice, 'The credit is reserved a second time');
  await twice.getByRole('button', { name: 'Deliver an event twice' }).click();
  await expect(twice.getByTestId('verdict')).toContainText('Not quite: It is discarded as a duplicate');
  await twice.getByRole('button', { name: 'Run it with duplicate detection off' }).click();
  const without = twice.getByTestId('counterfactual');
  await expect(without).toContainText('holds 2 CreditReserved for one $250.00 order: $500.00 reserved. Credit reserved twice.');

  const race = card(page, 'Race two orders for the last credit');
  await predict(race, 'Both get the credit: $120.00 reserved against $100.00');
  await race.getByRole('button', { name: 'Race two orders for the last credit' }).click();
  await expect(race).toContainText('exactly one reservation won.');
  await race.getByRole('button', { name: 'Run it without the expected version' }).click();
  await expect(race.getByTestId('counterfactual')).toContainText('$120.00 is reserved against a $100.00 limit: the credit limit is overdrawn.');
  await race.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('faults-counterfactual-1280') });

  // The scratch store is not the lab's: the lab holds only the real runs' events.
  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  expect((await lab.eventTypes()).filter((t) => t === 'CreditReserved')).toHaveLength(2);

  // On a projector with Large text in the dark theme, and on a phone.
  await goToView(page, 'Faults');
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await toggleLargeText(page);
  await page.screenshot({ path: screenshotPath('faults-projector-large') });
  await toggleLargeText(page);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath('faults-phone') });
  expect(problems.messages).toEqual([]);
});

test('after a cancelled order, delivering an event twice still picks an OrderCreated', async ({ page }) => {
  // Issue 12: the fault picked the newest handled event, an OrderCancelled, and spoke of credit.
  const problems = trackConsoleErrors(page);
  const lab = await openFaults(page);
  await page.getByRole('link', { name: 'Lab', exact: true }).click();
  await lab.createCustomer('Ada', '1000');
  await lab.placeOrder('250');
  await lab.runToEnd();
  await lab.rowCommand((await lab.orderIds()).map((id) => `Cancel order ${id}`)[0]);
  await lab.runToEnd();
  await goToView(page, 'Faults');
  const twice = card(page, 'Deliver an event twice');
  await predict(twice, 'It is discarded as a duplicate: no credit is reserved twice');
  await twice.getByRole('button', { name: 'Deliver an event twice' }).click();
  await expect(twice).toContainText('OrderCreated #2 (Order');
  await expect(twice).not.toContainText('OrderCancelled');
  expect(problems.messages).toEqual([]);
});
