// The choreography page and the time-travel page, as a workshop uses them: step through the
// order-to-credit story delivery by delivery, step back into the past and forward again (by
// mouse and by keyboard), play to the end, reload into the same step; then slide along the log
// and see aggregates and views as they stood, a lagging view included.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { toggleLargeText, LabPage } from './support/lab';
import { ChoreographyPage, TimeTravelPage } from './support/timeline';

test('the choreography is stepped through, back into the past, by keyboard, played and reloaded', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.placeOrder('250');

  const choreo = new ChoreographyPage(page);
  await choreo.open();
  await expect(page).toHaveURL(/\/foldlab\/choreography\?step=2$/);
  await expect(choreo.title).toHaveText('Step 2 of 2 (now)');
  // The command that placed the order starts from you and lands in the Order service's lane.
  await expect(choreo.currentRow).toContainText('command to Order o-');
  await expect(choreo.currentRow).toContainText('appends OrderCreated #2');
  await expect(choreo.sentence).toContainText('stored OrderCreated #2 in one transaction on that one aggregate');

  // Shortcuts are shown beside the buttons and announced on them.
  await expect(choreo.forwardButton).toHaveAttribute('aria-keyshortcuts', 'ArrowRight .');
  await expect(choreo.backButton).toHaveAttribute('aria-keyshortcuts', 'ArrowLeft ,');
  await expect(page.getByRole('button', { name: 'Play' })).toHaveAttribute('aria-keyshortcuts', 'Space p');
  await expect(page.locator('.transport kbd')).toHaveText(['←', ',', '→', '.', 'Space', 'p']);

  // At now, each step forward is a real delivery, until the Order service approves the order.
  await expect(page.getByText('At now: Step forward makes a real delivery (3 waiting).')).toBeVisible();
  for (let i = 0; i < 8; i++) {
    if ((await choreo.currentRow.textContent())?.includes('appends OrderApproved #4')) break;
    await choreo.forward();
  }
  await expect(choreo.title).toHaveText('Step 6 of 6 (now)');
  await expect(choreo.currentRow).toContainText('delivers CreditReserved #3 to the Order service');
  await expect(choreo.currentRow).toContainText('CreditReserved #3 came from Customer c-');
  await expect(choreo.currentRow).toContainText('Order service: state changed');
  await expect(choreo.currentRow).toContainText('appends OrderApproved #4');
  await expect(choreo.sentence).toContainText('approved order o-');
  await expect(choreo.sentence).toContainText('The Order never read the Customer');
  // The row before it: the Customer service reserved credit.
  const rows = page.getByTestId('lane-row');
  await expect(rows.filter({ hasText: 'delivers OrderCreated #2 to the Customer service' })).toContainText(
    'appends CreditReserved #3',
  );
  await expect(choreo.then.getByTestId('orders-then')).toContainText('APPROVED');
  // The query side had applied #1 and #2 only: it lagged.
  await expect(page.getByTestId('view-then')).toHaveText(
    'The customer view had applied up to #2 of #4: it was 2 events behind, so a read then returned this older state.',
  );
  await page.screenshot({ path: screenshotPath('choreography-approved'), fullPage: true });

  // Step back: the order is NEW again, and nothing was deleted.
  await choreo.back();
  await expect(choreo.title).toHaveText('Step 5 of 6');
  await expect(page).toHaveURL(/step=5$/);
  await expect(page.getByTestId('past-note')).toContainText('You are looking at the past: step 5 of 6. Nothing was deleted: the event store still holds all 4 events');
  await expect(choreo.then.getByTestId('orders-then')).toContainText('NEW');
  await expect(choreo.then.getByTestId('customers-then')).toContainText('$250.00');
  await expect(page.getByText('In the past: Step forward replays step 6 as it was recorded; nothing is delivered.')).toBeVisible();

  // Keyboard: "." forward (replaying the record), "," back, → forward.
  await page.getByRole('heading', { name: 'Choreography, step by step' }).click();
  await page.keyboard.press('.');
  await expect(choreo.title).toHaveText('Step 6 of 6 (now)');
  await expect(choreo.then.getByTestId('orders-then')).toContainText('APPROVED');
  await page.keyboard.press(',');
  await expect(choreo.title).toHaveText('Step 5 of 6');
  await page.keyboard.press('ArrowLeft');
  await expect(choreo.title).toHaveText('Step 4 of 6');
  await page.keyboard.press('ArrowRight');
  await expect(choreo.title).toHaveText('Step 5 of 6');
  // Typing in a field does not step.
  await page.getByLabel('Speed').selectOption({ label: 'Fast (0.3 s a step)' });
  await page.getByLabel('Speed').press('.');
  await expect(choreo.title).toHaveText('Step 5 of 6');

  // "p" plays: it replays step 6, then delivers for real until nothing is left.
  await page.getByRole('heading', { name: 'Choreography, step by step' }).click();
  await page.keyboard.press('p');
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(page.getByText('Played to the end: nothing is left to deliver')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  await expect(choreo.title).toHaveText('Step 8 of 8 (now)');
  await expect(choreo.currentRow).toContainText('delivers OrderApproved #4 to the Customer view');
  await expect(choreo.currentRow).toContainText('Customer view: view updated');
  await expect(page.getByTestId('view-then')).toHaveText('The customer view had applied every event up to #4: it was up to date.');

  // Jump back along the timeline list, then reload: the same step comes back.
  await page.getByTestId('timeline-list').getByRole('button', { name: /^4 · Customer service ← OrderCreated #2/ }).click();
  await expect(choreo.title).toHaveText('Step 4 of 8');
  await expect(choreo.timeline).toHaveValue('4');
  await expect(page).toHaveURL(/step=4$/);
  await page.reload();
  await expect(choreo.title).toHaveText('Step 4 of 8');
  await expect(choreo.currentRow).toContainText('Customer service: state changed');
  await expect(choreo.then.getByTestId('orders-then')).toContainText('NEW');
  await expect(page.getByTestId('past-note')).toBeVisible();

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('choreography-past-dark'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('time travel shows every aggregate and view as they stood, a lagging view included', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.openWithApprovedOrder();

  const travel = new TimeTravelPage(page);
  await travel.open();
  await expect(travel.position).toHaveText('#4 of #4');
  await expect(page).toHaveURL(/\/foldlab\/time-travel\?at=4$/);
  await expect(page.getByTestId('orders-then')).toContainText('APPROVED');
  await expect(travel.view('tt-customer-view')).toContainText('The customer view had applied every event up to #4: it was up to date.');
  // The other projections move by themselves wherever the learner is (issue 12): up to date too.
  await expect(travel.view('tt-order-history')).toContainText(
    'The order history had applied every event up to #4: it was up to date.',
  );

  // Back to #3, when CreditReserved had just been stored: the order was still NEW, the credit
  // reserved, and the customer view one event behind.
  await travel.slider.fill('3');
  await expect(travel.position).toHaveText('#3 of #4');
  await expect(page).toHaveURL(/at=3$/);
  await expect(page.getByTestId('event-here')).toHaveText(/^#3 is CreditReserved on Customer c-/);
  await expect(page.getByTestId('orders-then')).toContainText('NEW');
  await expect(page.getByTestId('customers-then')).toContainText('$250.00');
  await expect(travel.view('tt-customer-view')).toContainText(
    'The customer view had applied up to #2 of #3: it was 1 event behind, so a read then returned this older state.',
  );
  await expect(page.getByRole('status').filter({ hasText: 'You are looking at the past' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('time-travel-lagging-view'), fullPage: true });

  // The slider is keyboard-operable; reload keeps the position.
  await travel.slider.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(travel.position).toHaveText('#2 of #4');
  await expect(page.getByTestId('event-here')).toHaveText(/^#2 is OrderCreated on Order o-/);
  await page.reload();
  await expect(travel.position).toHaveText('#2 of #4');
  await expect(page.getByTestId('customers-then')).toContainText('$0.00');
  await expect(page.getByTestId('orders-then')).toContainText('NEW');

  // Position 0: nothing existed.
  await page.getByRole('heading', { name: 'Time travel' }).click();
  await page.keyboard.press(',');
  await page.keyboard.press(',');
  await expect(travel.position).toHaveText('#0 of #4');
  await expect(page.getByText('No aggregate existed yet.')).toBeVisible();
  await expect(travel.view('tt-customer-view')).toContainText('The customer view was empty: the log held no events yet.');
  expect(problems.messages).toEqual([]);
});

test('a refusal recorded as an event has its own outcome and colour, never "state changed"', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Grace Hopper', '100');
  await lab.placeOrder('250');

  const choreo = new ChoreographyPage(page);
  await choreo.open();
  for (let i = 0; i < 8; i++) {
    if ((await choreo.currentRow.textContent())?.includes('appends CreditLimitExceeded #3')) break;
    await choreo.forward();
  }
  await expect(choreo.currentRow).toContainText('delivers OrderCreated #2 to the Customer service');
  await expect(choreo.currentRow).toContainText('Customer service: refusal recorded');
  await expect(choreo.currentRow).not.toContainText('state changed');
  const outcome = choreo.currentRow.locator('.outcome.refusal');
  await expect(outcome).toHaveText('Customer service: refusal recorded');
  // Its colour is neither a change's nor a rule that stored nothing.
  const refusalColour = await outcome.evaluate((el) => getComputedStyle(el).color);
  await page.screenshot({ path: screenshotPath('choreography-refusal-recorded'), fullPage: true });
  // On a projector with Large text, and on a phone, the refusal's row keeps its words and colour.
  await page.setViewportSize({ width: 1024, height: 768 });
  await toggleLargeText(page);
  await choreo.currentRow.scrollIntoViewIfNeeded();
  await expect(outcome).toBeVisible();
  await page.screenshot({ path: screenshotPath('choreography-refusal-projector-large') });
  await toggleLargeText(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await choreo.currentRow.scrollIntoViewIfNeeded();
  await expect(outcome).toBeVisible();
  await page.screenshot({ path: screenshotPath('choreography-refusal-phone') });
  await page.setViewportSize({ width: 1280, height: 800 });
  for (let i = 0; i < 8; i++) {
    await choreo.forward();
    if ((await choreo.currentRow.textContent())?.includes('appends OrderCancelled')) break;
  }
  const changed = choreo.currentRow.locator('.outcome.changed');
  await expect(changed).toHaveText('Order service: state changed');
  expect(await changed.evaluate((el) => getComputedStyle(el).color)).not.toBe(refusalColour);
  await expect(choreo.sentence).toContainText('cancelled order o-');
  expect(problems.messages).toEqual([]);
});
