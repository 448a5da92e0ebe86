// Smoke tests: the release build for GitHub Pages boots under /foldlab/, from the site root and
// from a deep link (served as 404.html, as Pages does), without console errors.
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';

test('the app boots at /foldlab/ without console errors', async ({ page }) => {
  const problems = trackConsoleErrors(page);

  // Relative to baseURL, so this is http://127.0.0.1:4173/foldlab/.
  const response = await page.goto('./');

  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Foldlab', exact: true })).toBeVisible();
  await page.screenshot({ path: screenshotPath('smoke'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('a deep link boots the app through the 404.html fallback', async ({ page }) => {
  const problems = trackConsoleErrors(page);

  const response = await page.goto('some/deep/route');

  // GitHub Pages answers unknown paths with 404.html and status 404; the app must boot anyway.
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Foldlab', exact: true })).toBeVisible();
  await page.screenshot({ path: screenshotPath('deep-link'), fullPage: true });
  // The document's own 404 is the fallback working; trackConsoleErrors leaves it out.
  expect(problems.messages).toEqual([]);
});
