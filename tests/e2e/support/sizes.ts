// Screenshots at the three sizes a workshop meets — a laptop (1280×800), a projector (1024×768
// with Large text in the dark theme) and a phone (390×844) — each checked for what a person would
// notice first: the page itself must never scroll sideways (wide things scroll in their own box).
import { expect, type Page } from '@playwright/test';
import { screenshotPath } from './console';
import { toggleLargeText } from './lab';

/** Whether the page scrolls sideways: its content is wider than the window. */
async function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Turns Large text and the dark colour scheme on or off, Large text through the Settings menu. */
async function projector(page: Page, on: boolean) {
  await page.emulateMedia({ colorScheme: on ? 'dark' : 'light' });
  const large = (await page.locator('html').getAttribute('data-text')) === 'large';
  if (large !== on) await toggleLargeText(page);
}

/**
 * Saves `<name>-1280`, `<name>-1024-large-dark` and `<name>-390` screenshots of the whole page,
 * asserting at each size that the page does not scroll sideways; puts the laptop size back.
 */
export async function screenshotsAtThreeSizes(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await projector(page, false);
  expect(await pageOverflow(page), 'no sideways scrolling at 1280 px').toBeLessThanOrEqual(0);
  await page.screenshot({ path: screenshotPath(`${name}-1280`), fullPage: true });

  await page.setViewportSize({ width: 1024, height: 768 });
  await projector(page, true);
  expect(await pageOverflow(page), 'no sideways scrolling at 1024 px with Large text').toBeLessThanOrEqual(0);
  await page.screenshot({ path: screenshotPath(`${name}-1024-large-dark`), fullPage: true });

  await page.setViewportSize({ width: 390, height: 844 });
  await projector(page, false);
  expect(await pageOverflow(page), 'no sideways scrolling at 390 px').toBeLessThanOrEqual(0);
  await page.screenshot({ path: screenshotPath(`${name}-390`), fullPage: true });

  await page.setViewportSize({ width: 1280, height: 800 });
}
