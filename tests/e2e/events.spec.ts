// The event inspector: the article's event table over the whole log, filtered, expanded to an
// event's JSON and metadata, and an event's cause and effects marked when it is selected.
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { goToView, LabPage } from './support/lab';

/** Ada's approved order and Grace's account: #1 CustomerCreated, #2 OrderCreated, #3 CreditReserved,
 *  #4 OrderApproved, #5 CustomerCreated. */
async function givenAnApprovedOrder(page: Page) {
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.placeOrder('250');
  await lab.runToEnd();
  await lab.createCustomer('Grace Hopper', '500');
  await lab.expectEventCount(5);
  await goToView(page, 'Events');
  await expect(page.getByRole('heading', { name: 'Event inspector' })).toBeVisible();
}

function table(page: Page) {
  return page.getByRole('table', { name: 'Event store' });
}

function dataRows(page: Page) {
  return table(page).locator('[role="row"][data-event-id]');
}

test('the inspector filters the log by entity type, entity id and event type', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await givenAnApprovedOrder(page);
  await expect(page.getByTestId('shown')).toHaveText('5 events');

  await page.getByLabel('Entity type').selectOption('Order');
  await expect(page.getByTestId('shown')).toHaveText('2 of 5 events match the filters');
  await expect(dataRows(page)).toHaveCount(2);

  await page.getByLabel('Entity type').selectOption('Customer');
  await page.getByLabel('Event type').selectOption('CustomerCreated');
  await expect(dataRows(page)).toHaveCount(2);
  const grace = dataRows(page).nth(1);
  const graceId = (await grace.locator('[role="cell"]').nth(2).textContent())?.trim() ?? '';
  await page.getByLabel('Entity id').fill(graceId);
  await expect(page.getByTestId('shown')).toHaveText('1 of 5 events match the filters');
  await expect(dataRows(page)).toHaveCount(1);
  await expect(dataRows(page).first()).toContainText('Grace Hopper');

  await page.getByLabel('Entity id').fill('');
  await page.getByLabel('Entity type').selectOption('');
  await page.getByLabel('Event type').selectOption('');
  await expect(dataRows(page)).toHaveCount(5);
  expect(problems.messages).toEqual([]);
});

test('selecting an event opens its JSON and metadata and marks its cause, effects and correlation', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await givenAnApprovedOrder(page);

  const reserved = page.getByRole('button', { name: /^Event #3, CreditReserved/ });
  await expect(reserved).toHaveAttribute('aria-expanded', 'false');
  await reserved.click();
  await expect(reserved).toHaveAttribute('aria-expanded', 'true');

  const details = page.getByRole('cell', { name: 'Event #3 in full' });
  await expect(details).toContainText('"amount_cents": 25000');
  await expect(details).toContainText('customer-service');
  await expect(details.locator('dt', { hasText: 'causation id' }).locator('+ dd')).toHaveText('#2');
  await expect(details.locator('dt', { hasText: 'schema version' }).locator('+ dd')).toHaveText('1');

  const selection = page.getByTestId('selection');
  await expect(selection).toContainText('Selected #3 CreditReserved.');
  await expect(selection).toContainText('Cause: #2 OrderCreated.');
  await expect(selection).toContainText('Effects: #4 OrderApproved.');
  await expect(selection).toContainText('2 other events share its correlation id');
  await expect(table(page).locator('[data-event-id="2"]')).toHaveClass(/cause/);
  await expect(table(page).locator('[data-event-id="2"]')).toContainText('cause');
  await expect(table(page).locator('[data-event-id="4"]')).toHaveClass(/effect/);
  await expect(table(page).locator('[data-event-id="4"]')).toHaveClass(/correlated/);
  await expect(table(page).locator('[data-event-id="1"]')).not.toHaveClass(/cause|effect|correlated/);
  await expect(table(page).locator('[data-event-id="5"]')).not.toHaveClass(/correlated/);
  await page.screenshot({ path: screenshotPath('events-selected'), fullPage: true });

  // The selection is in the address, so a reload keeps it.
  await expect(page).toHaveURL(/\/foldlab\/events\?event=3$/);
  await page.reload();
  await expect(page.getByRole('button', { name: /^Event #3, CreditReserved/ })).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId('selection')).toContainText('Selected #3 CreditReserved.');

  // A user's command has no cause.
  await page.getByRole('button', { name: /^Event #2, OrderCreated/ }).click();
  await expect(page.getByTestId('selection')).toContainText('No cause: a user\'s command stored it.');
  await expect(page).toHaveURL(/\?event=2$/);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('events-dark'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('only the rows in sight are rendered, and scrolling brings the rest', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '100000');
  for (let i = 0; i < 8; i++) await lab.placeOrder('10');
  await lab.runToEnd();
  await lab.expectEventCount(25);
  await page.goto('events');

  await expect(page.getByTestId('shown')).toHaveText('25 events');
  const rendered = await dataRows(page).count();
  expect(rendered).toBeLessThan(25);
  await expect(table(page).locator('[data-event-id="1"]')).toBeVisible();
  await expect(table(page).locator('[data-event-id="25"]')).toHaveCount(0);

  await page.getByTestId('inspector-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await expect(table(page).locator('[data-event-id="25"]')).toBeVisible();
  await expect(table(page).locator('[data-event-id="1"]')).toHaveCount(0);
  expect(problems.messages).toEqual([]);
});
