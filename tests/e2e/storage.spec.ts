// What the browser lets the lab keep (issue 13): the lab asks to keep its storage for good, and the
// Settings menu says how much of the quota it uses and whether the browser keeps it, so a teacher
// can tell before a workshop whether a long history fits and will still be there.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { LabPage, openSettings } from './support/lab';

test('Settings say how much of the quota the events use, and whether the browser keeps them', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.placeOrder('250');
  await lab.runToEnd();

  const settings = await openSettings(page);
  const use = settings.getByTestId('storage-use');
  await expect(use).toContainText(/^Uses [\d.]+ (bytes|KB|MB) of about [\d.]+ (MB|GB|TB)\./);
  // What it says about keeping the events is what the browser itself answers.
  const persisted = await page.evaluate(() => navigator.storage.persisted());
  await expect(use).toContainText(
    persisted ? 'The browser keeps them until you reset the lab.' : 'The browser may clear them if the device runs short of space.',
  );
  // The figures are the browser's own estimate.
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  expect(usage).toBeGreaterThan(0);
  await settings.screenshot({ path: screenshotPath('settings-storage-use') });
  expect(problems.messages).toEqual([]);
});

test('on the localStorage fallback nothing is said about a quota the browser does not report', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  });
  const lab = new LabPage(page);
  await lab.open('localStorage');
  await lab.createCustomer('Ada Lovelace', '1000');
  const settings = await openSettings(page);
  await expect(settings.getByTestId('backend')).toHaveText('Events kept in localStorage');
  await expect(settings.getByTestId('storage-use')).toHaveCount(0);
  expect(problems.messages).toEqual([]);
});
