// Time travel as a teacher uses it: run an order through the lab, then walk the log — the strip
// marks where the slider stands, "What #N changed" names the aggregate, its fields before and
// after, and the views the event changes — and at "now" every running view is up to date, wherever
// the learner was when the events were stored (issue 12).
import { expect, test } from '@playwright/test';
import { trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';
import { TimeTravelPage } from './support/timeline';

test('after Run to end on the lab, time travel at now shows every running view up to date', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.openWithApprovedOrder();

  // The bug: the order history and the low-credit list moved only while the Projections page was
  // open, so here they were "behind by 4 events". They move wherever the learner is.
  const travel = new TimeTravelPage(page);
  await travel.open();
  await expect(travel.position).toHaveText('#4 of #4');
  await expect(travel.view('tt-customer-view')).toContainText('had applied every event up to #4: it was up to date.');
  await expect(travel.view('tt-order-history')).toContainText(
    'The order history had applied every event up to #4: it was up to date.',
  );
  await expect(travel.view('tt-low-credit')).toContainText('had applied every event up to #4: it was up to date.');
  await expect(travel.view('tt-order-history')).toContainText('NEW (#2) → APPROVED (#4)');
  // The projection not added yet says so, rather than "behind".
  await expect(travel.view('tt-new-customers')).toContainText('Not running yet');
  await expect(page.getByText(/behind by \d+ event/)).toHaveCount(0);
  // At now there is nowhere further to go: Step forward and Play say so by being disabled.
  await expect(page.getByRole('button', { name: 'Step forward' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Play' })).toBeDisabled();
  await page.getByRole('button', { name: 'Step back' }).click();
  await expect(travel.position).toHaveText('#3 of #4');
  await expect(page.getByRole('button', { name: 'Step forward' })).toBeEnabled();
  expect(problems.messages).toEqual([]);
});

test('the strip marks the position, and "What #N changed" names the fields and views an event changed', async ({
  page,
}) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.openWithApprovedOrder();

  const travel = new TimeTravelPage(page);
  await travel.open();
  const strip = page.getByRole('list', { name: 'Events around the position' });
  const marks = strip.getByRole('button');
  // One mark per position: before the first event, then #1 … #4; the current one is marked.
  await expect(marks).toHaveCount(5);
  await expect(strip.locator('[aria-current="step"]')).toHaveAccessibleName(/^#4: OrderApproved on Order o-/);
  const changed = page.getByRole('region', { name: 'What #4 changed' });
  await expect(changed.getByTestId('changed-fields')).toContainText('status');
  await expect(changed.getByTestId('changed-fields')).toContainText('NEW');
  await expect(changed.getByTestId('changed-fields')).toContainText('APPROVED');

  // A click on #3 moves the slider there: CreditReserved changed Grace's reserved and available
  // credit, and the views that keep credit (not the order history) change with it.
  await strip.getByRole('button', { name: /^#3: CreditReserved/ }).click();
  await expect(travel.position).toHaveText('#3 of #4');
  await expect(travel.slider).toHaveValue('3');
  const at3 = page.getByRole('region', { name: 'What #3 changed' });
  await expect(at3.getByTestId('changed-who')).toHaveText(/^CreditReserved on Customer Grace Hopper/);
  const rows = at3.getByTestId('changed-fields').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveText(/reserved\s*\$0\.00\s*→\s*\$250\.00/);
  await expect(rows.nth(1)).toHaveText(/available credit\s*\$1,000\.00\s*→\s*\$750\.00/);
  await expect(at3.getByTestId('changed-views')).toHaveText('Views it changes: Customer view, Customers with a low credit limit.');

  // Keyboard: the current mark takes the focus; ← moves back, Home goes to the start, End to now.
  const current = strip.locator('[aria-current="step"]');
  await current.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(travel.position).toHaveText('#2 of #4');
  await expect(strip.locator('[aria-current="step"]')).toBeFocused();
  await expect(page.getByRole('region', { name: 'What #2 changed' }).getByTestId('changed-who')).toHaveText(
    /^OrderCreated on Order o-\w+ of Grace Hopper/,
  );
  await page.keyboard.press('Home');
  await expect(travel.position).toHaveText('#0 of #4');
  await expect(page.getByRole('region', { name: 'What #0 changed' })).toContainText('Nothing yet');
  await page.keyboard.press('End');
  await expect(travel.position).toHaveText('#4 of #4');

  await strip.getByRole('button', { name: /^#3: CreditReserved/ }).click();
  await expect(travel.position).toHaveText('#3 of #4');
  await screenshotsAtThreeSizes(page, 'time-travel');
  expect(problems.messages).toEqual([]);
});
