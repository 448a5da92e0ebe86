// Every view, checked by axe-core (WCAG 2 A and AA rules) in both themes: every control has an
// accessible name, every form field a label, and text keeps its contrast on a projector. The views
// are found through the header's navigation, so a new route is checked without editing this file.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { LabPage, openMoreViews } from './support/lab';

/** The in-app views the navigation links to (those in "More views" too), as paths relative to
 * the base (`./`, `./lab`, …). */
async function views(page: Page): Promise<{ name: string; path: string }[]> {
  await openMoreViews(page);
  const links = page.getByRole('navigation', { name: 'Views' }).getByRole('link');
  const found: { name: string; path: string }[] = [];
  for (const link of await links.all()) {
    const name = (await link.textContent())?.trim() ?? '';
    const href = (await link.getAttribute('href')) ?? '';
    found.push({ name, path: `.${href.replace(/^\/foldlab/, '')}` });
  }
  return found;
}

async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

for (const theme of ['light', 'dark'] as const) {
  test(`every view passes axe's WCAG A/AA checks in the ${theme} theme`, async ({ page }) => {
    test.setTimeout(90_000);
    const problems = trackConsoleErrors(page);
    await page.emulateMedia({ colorScheme: theme });
    const lab = new LabPage(page);
    await lab.open();
    // Some content in every view: a customer, an approved order and one still waiting.
    await lab.createCustomer('Alan Turing', '1000');
    await lab.placeOrder('300');
    await lab.runToEnd();
    await lab.placeOrder('200');

    const all = await views(page);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const found: string[] = [];
    for (const view of all) {
      await page.goto(view.path);
      await expect(lab.backend).toHaveText('Events kept in IndexedDB');
      await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
      for (const v of await violations(page)) found.push(`${view.name}: ${v}`);
    }
    expect(found).toEqual([]);
    await page.screenshot({ path: screenshotPath(`a11y-last-view-${theme}`), fullPage: true });
    expect(problems.messages).toEqual([]);
  });
}
