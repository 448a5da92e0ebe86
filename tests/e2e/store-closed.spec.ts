// The event store's database deleted while the lab is open (by another tab, a script or the
// browser's developer tools): the lab says so in plain words, stops showing events that are no
// longer stored, takes no command that would fail with the browser's exception, and a reload opens
// a new, empty store that works.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';

test('a database deleted under the lab is said plainly, cleared from the screen, and a reload recovers', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada', '1000');
  await lab.placeOrder('250');
  await lab.expectEventCount(2);

  const deleted = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const request = indexedDB.deleteDatabase('foldlab');
        request.onsuccess = () => resolve('deleted');
        request.onerror = () => resolve('error');
        request.onblocked = () => resolve('blocked');
      }),
  );
  expect(deleted).toBe('deleted');

  const banner = page.getByRole('alert').filter({ hasText: 'deleted while the lab was open' });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('no longer stored');
  await lab.expectEventCount(0);
  await expect(lab.customerRows).toHaveCount(0);
  await expect(lab.steps).toHaveCount(0);
  await expect(lab.createForm.getByRole('button', { name: 'Create customer' })).toBeDisabled();
  await page.screenshot({ path: screenshotPath('store-deleted'), fullPage: true });

  await banner.getByRole('button', { name: 'Reload the lab' }).click();
  await expect(lab.backend).toHaveText('Events kept in IndexedDB');
  await expect(banner).toHaveCount(0);
  await lab.expectEventCount(0);
  await lab.createCustomer('Grace', '500');
  await lab.expectEventCount(1);
  expect(problems.messages).toEqual([]);
});
