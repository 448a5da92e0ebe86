// Amounts typed with a decimal comma, as much of Europe writes them: `5,00` is five dollars, never
// five hundred. Commas that group thousands still work, and a comma that is neither is refused with
// a message instead of being guessed at.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';

test('an amount with a decimal comma is stored as the cents it says', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();

  await lab.createCustomer('Ada', '5,00');
  const customer = lab.customerRows.first();
  await expect(customer.locator('td').nth(1)).toHaveText('$5.00');

  await lab.placeOrder('2,5');
  await expect(lab.orderRows.first()).toContainText('$2.50');

  await lab.rowCommand('Change the credit limit of Ada');
  const limit = page.getByLabel('New credit limit for Ada ($)');
  await limit.fill('1.250,00');
  await lab.rowCommand('Save limit');
  await expect(lab.tableFeedback.getByRole('alert')).toContainText('is not an amount');
  await expect(limit).toHaveValue('1.250,00');
  await limit.fill('7,25');
  await lab.rowCommand('Save limit');
  await expect(customer.locator('td').nth(1)).toHaveText(/^\$7\.25/);

  await lab.placeOrder('1,250');
  await expect(lab.orderRows.nth(1)).toContainText('$1,250.00');
  await page.screenshot({ path: screenshotPath('amounts-decimal-comma'), fullPage: true });
  expect(problems.messages).toEqual([]);
});
