// What no view may show (issue 11): a citation of a seed or figure number, which a learner cannot
// look up, and claims the articles do not make. Used by claims.spec.ts on every view and lesson,
// and by lessons.spec.ts on every lesson step.
import { expect, type Page } from '@playwright/test';

/** Text that cites what a learner cannot look up, or says what the articles do not. */
export const UNCITABLE = /\bseeds? 0\d\d\b|\bfigure \d|query side now reflects|cannot answer|handler is idempotent|the seed's/i;

/** Fails if the page's visible text matches {@link UNCITABLE}; `where` names the page in the report. */
export async function expectNothingUncitable(page: Page, where: string) {
  const text = await page.locator('body').innerText();
  const found = text.split('\n').filter((line) => UNCITABLE.test(line));
  expect(found, `${where} shows text a learner cannot look up or the articles do not say`).toEqual([]);
}
