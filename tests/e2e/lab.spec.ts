// The lab's first screen, as a person uses it: the article's order-to-credit choreography on a real
// event store in the browser, with its lag, its failures and its persistence.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { closeSettings, LabPage, openSettings } from './support/lab';

test('an order within the credit limit is approved through the choreography', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();

  await lab.createCustomer('Ada Lovelace', '1000');
  await expect(lab.createForm.getByRole('status')).toContainText('Stored CustomerCreated #1');
  await lab.placeOrder('250');
  await expect(lab.orderForm.getByRole('status')).toContainText('Stored OrderCreated #2');

  // The order is NEW and the query side has not seen anything: it lags the event store.
  await expect(lab.orderRows.first()).toContainText('NEW');
  await expect(lab.viewLag).toContainText('Lagging');
  await expect(lab.viewLag).toHaveText('Lagging: none of the 2 events applied yet.');
  await page.screenshot({ path: screenshotPath('lab-order-placed'), fullPage: true });

  // Step once: the customer view applies CustomerCreated; step again: the Customer reserves credit.
  await lab.step();
  await expect(lab.steps.first()).toContainText('The customer view applied CustomerCreated #1');
  await lab.step();
  await expect(lab.steps.first()).toContainText(
    'The Customer service handled OrderCreated #2 and reserved $250.00 of credit',
  );
  await expect(lab.steps.first()).toContainText('One transaction changed one aggregate, the Customer.');
  await expect(lab.orderRows.first()).toContainText('NEW');

  await lab.runToEnd();
  await expect(lab.orderRows.first()).toContainText('APPROVED');
  expect(await lab.eventTypes()).toEqual(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);
  await expect(lab.eventRows.nth(2)).toContainText('"amount_cents":25000');
  await expect(lab.viewLag).toContainText('Up to date');
  const ada = lab.customerView.getByRole('article', { name: 'Customer view of Ada Lovelace' });
  await expect(ada).toContainText('$750.00');
  await expect(ada).toContainText('APPROVED');
  await page.screenshot({ path: screenshotPath('lab-approved'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('an order over the credit limit is cancelled and reserves nothing', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();

  await lab.createCustomer('Grace Hopper', '100');
  await lab.placeOrder('60');
  await lab.placeOrder('50');
  await lab.runToEnd();

  expect(await lab.eventTypes()).toEqual([
    'CustomerCreated',
    'OrderCreated',
    'OrderCreated',
    'CreditReserved',
    'CreditLimitExceeded',
    'OrderApproved',
    'OrderCancelled',
  ]);
  await expect(lab.orderRows.nth(0)).toContainText('APPROVED');
  await expect(lab.orderRows.nth(1)).toContainText('CANCELLED');
  await expect(lab.page.getByTestId('steps')).toContainText(
    'but $50.00 is more than the $40.00 of credit still available',
  );
  await expect(lab.page.getByTestId('steps')).toContainText("the Customer's state did not change");
  const grace = lab.customerView.getByRole('article', { name: 'Customer view of Grace Hopper' });
  await expect(grace).toContainText('$40.00');
  await expect(grace).toContainText('CANCELLED');
  await page.screenshot({ path: screenshotPath('lab-credit-exceeded'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('a reload reads everything back from IndexedDB', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Edsger', '500');
  await lab.placeOrder('125.50');
  await lab.step();
  await lab.expectEventCount(2);

  await page.reload();
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  await lab.expectEventCount(2);
  await expect(lab.orderRows.first()).toContainText('$125.50');
  // The checkpoints were stored too: the view resumes where it stopped, not from the start.
  await expect(lab.viewLag).toContainText('applied events up to #1');
  await lab.runToEnd();
  await expect(lab.orderRows.first()).toContainText('APPROVED');

  await page.reload();
  await expect(lab.orderRows.first()).toContainText('APPROVED');
  await lab.expectEventCount(4);
  await page.screenshot({ path: screenshotPath('lab-after-reload'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('without IndexedDB the lab keeps its events in localStorage and says so', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  // As in a browser where IndexedDB is switched off.
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  });
  const lab = new LabPage(page);
  await lab.open('localStorage');
  await expect(page.getByTestId('fallback-note')).toContainText('localStorage');

  await lab.createCustomer('Barbara', '300');
  await lab.placeOrder('400');
  await lab.runToEnd();
  await expect(lab.orderRows.first()).toContainText('CANCELLED');

  await page.reload();
  await expect(lab.backend).toHaveText('Events kept in localStorage');
  await lab.expectEventCount(4);
  await expect(lab.orderRows.first()).toContainText('CANCELLED');
  await page.screenshot({ path: screenshotPath('lab-localstorage'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('invalid input is explained next to the form and stores nothing', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  const customerError = lab.createForm.getByRole('alert');

  await lab.createCustomer('   ', '100');
  await expect(customerError).toHaveText('A customer needs a name.');
  await lab.createCustomer('Ada', 'lots');
  await expect(customerError).toContainText('is not an amount');
  await lab.createCustomer('Ada', '0');
  await expect(customerError).toContainText('A credit limit must be more than $0.00');
  await lab.createCustomer('Ada', '-20');
  await expect(customerError).toContainText('A credit limit must be more than $0.00');
  // What was typed stays, so it can be corrected.
  await expect(lab.createForm.getByLabel('Name')).toHaveValue('Ada');
  await lab.expectEventCount(0);

  await lab.placeOrder('10');
  await expect(lab.orderForm.getByRole('alert')).toContainText('Choose a customer first');

  // Markup in a name is refused (so that every lab can be exported and imported again).
  await lab.createCustomer('<img src=x onerror=alert(1)>', '100');
  await expect(customerError).toContainText('A name cannot contain \u201c<\u201d');
  await lab.expectEventCount(0);
  await lab.createCustomer('Ada & "Sons"', '100');
  await expect(lab.createForm.getByRole('status')).toContainText('Stored CustomerCreated #1');
  for (const total of ['0', '-5', '1.234', 'ten']) {
    await lab.placeOrder(total);
    await expect(lab.orderForm.getByRole('alert')).toBeVisible();
  }
  await lab.expectEventCount(1);
  await expect(page.getByRole('combobox', { name: 'Customer' })).toContainText('Ada & "Sons"');
  await page.screenshot({ path: screenshotPath('lab-invalid-input'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('reset lab asks first, then empties the store', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Alan', '100');
  await lab.expectEventCount(1);

  await openSettings(page);
  await page.getByRole('button', { name: 'Reset lab…' }).click();
  await expect(page.getByRole('group', { name: 'Confirm reset' })).toContainText('Delete all 1 event and');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await lab.expectEventCount(1);

  await page.getByRole('button', { name: 'Reset lab…' }).click();
  await page.getByRole('button', { name: 'Yes, delete everything' }).click();
  await lab.expectEventCount(0);
  await page.reload();
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  await lab.expectEventCount(0);
  await lab.createCustomer('Alan', '100');
  await expect(lab.createForm.getByRole('status')).toContainText('Stored CustomerCreated #1');
  expect(problems.messages).toEqual([]);
});

test('the old about page is the start page, and it survives a reload under the sub-path', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.goto('./about');
  await expect(page.getByRole('heading', { level: 2, name: 'Start here' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { level: 2, name: 'Start here' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lab', exact: true }).click();
  await expect(page).toHaveURL(/\/foldlab\/lab$/);
  await expect(page.getByRole('heading', { name: 'Command side' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('about'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('at the keyboard, a command that takes its own button away leaves the focus on its answer, not at the top of the page', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Grace Hopper', '500');
  await lab.placeOrder('120');
  const [id] = await lab.orderIds();
  const cancel = page.getByRole('button', { name: `Cancel order ${id}`, exact: true });
  await cancel.focus();
  await page.keyboard.press('Enter');
  await expect(lab.orderRows.first()).toContainText('CANCELLED');
  await expect(cancel).toHaveCount(0);
  await expect(lab.tableFeedback).toBeFocused();
  await expect(lab.tableFeedback.getByRole('status')).toContainText('OrderCancelled');
  expect(problems.messages).toEqual([]);
});

test('a user cancels and ships orders, changes a credit limit and deletes a customer', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();

  await lab.createCustomer('Edsger Dijkstra', '500');
  await lab.placeOrder('200');
  await lab.placeOrder('100');
  await lab.runToEnd();
  await expect(lab.orderRows.nth(0)).toContainText('APPROVED');
  await expect(lab.orderRows.nth(1)).toContainText('APPROVED');
  const customer = lab.customerRows.first();
  await expect(customer).toContainText('$300.00'); // reserved

  // Ship the first order: its credit stays used.
  const [first, second] = await lab.orderIds();
  await lab.rowCommand(`Ship order ${first}`);
  await expect(lab.tableFeedback.getByRole('status')).toContainText('OrderShipped');
  await expect(lab.orderRows.nth(0)).toContainText('SHIPPED');
  await expect(lab.orderRows.nth(0).getByRole('button')).toHaveCount(0);

  // Cancel the second: the Order changes now, the Customer releases the credit when told.
  await lab.rowCommand(`Cancel order ${second}`);
  await expect(lab.orderRows.nth(1)).toContainText('CANCELLED');
  await expect(customer).toContainText('$300.00');
  await lab.runToEnd();
  await expect(lab.page.getByTestId('steps')).toContainText('CreditReleased');
  await expect(customer.locator('td').nth(2)).toHaveText('$200.00');

  // A limit below what is reserved is refused by the Customer, and the form keeps its value.
  await lab.rowCommand('Change the credit limit of Edsger Dijkstra');
  const limit = lab.page.getByLabel('New credit limit for Edsger Dijkstra ($)');
  await limit.fill('150');
  await lab.rowCommand('Save limit');
  await expect(lab.tableFeedback.getByRole('alert')).toBeVisible();
  await expect(limit).toHaveValue('150');
  await limit.fill('abc');
  await lab.rowCommand('Save limit');
  await expect(lab.tableFeedback.getByRole('alert')).toContainText('New credit limit');
  await limit.fill('900');
  await lab.rowCommand('Save limit');
  await expect(lab.tableFeedback.getByRole('status')).toContainText('CreditLimitChanged');
  await expect(customer.locator('td').nth(1)).toHaveText('$900.00');

  // Deleting asks first, then stores an event; the row stays, marked deleted.
  await lab.rowCommand('Delete Edsger Dijkstra');
  await expect(lab.page.getByRole('group', { name: 'Confirm delete' })).toContainText('events stay');
  await lab.rowCommand('Yes, delete');
  await expect(lab.tableFeedback.getByRole('status')).toContainText('CustomerDeleted');
  await expect(customer).toContainText('DELETED');
  expect((await lab.eventTypes()).filter((t) => t === 'CustomerDeleted')).toHaveLength(1);
  await page.screenshot({ path: screenshotPath('lab-row-commands'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('the theme and large text are chosen in the Settings menu and survive a reload', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  const root = page.locator('html');
  const large = page.getByRole('button', { name: 'Large text' });

  await openSettings(page);
  await page.getByLabel('Theme').selectOption('dark');
  await large.click();
  await expect(large).toHaveAttribute('aria-pressed', 'true');
  await expect(root).toHaveAttribute('data-theme', 'dark');
  await expect(root).toHaveAttribute('data-text', 'large');
  const bodyColour = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const fontSize = () => page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
  expect(await bodyColour()).toBe('rgb(15, 19, 24)');
  expect(await fontSize()).toBe('22px');
  await closeSettings(page);
  await lab.createCustomer('Barbara Liskov', '800');
  await page.screenshot({ path: screenshotPath('lab-dark-large'), fullPage: true });

  await page.reload();
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  await expect(root).toHaveAttribute('data-theme', 'dark');
  await openSettings(page);
  await expect(page.getByLabel('Theme')).toHaveValue('dark');
  await expect(large).toHaveAttribute('aria-pressed', 'true');

  // Light wins over a dark system preference; large text goes back to normal.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByLabel('Theme').selectOption('light');
  await large.click();
  expect(await bodyColour()).toBe('rgb(246, 247, 249)');
  expect(await fontSize()).toBe('16px');
  expect(problems.messages).toEqual([]);
});
