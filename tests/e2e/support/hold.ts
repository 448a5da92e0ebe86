// Two tabs racing need their writes to meet: holding the events store makes every other
// transaction on it wait until the test lets go.
import { expect, type Page } from '@playwright/test';
import type { LabPage } from './lab';

/** Holds the lab's `events` store with a readwrite transaction kept busy until
 *  `window.__release` is set: every other transaction on it, in any tab, waits meanwhile. */
export async function holdEvents(page: Page) {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const w = window as unknown as { __release: boolean };
        w.__release = false;
        const open = indexedDB.open('foldlab');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('events', 'readwrite');
          const events = tx.objectStore('events');
          const spin = () => {
            if (!w.__release) events.get(0).onsuccess = spin;
          };
          spin();
          tx.oncomplete = () => open.result.close();
          resolve();
        };
      }),
  );
}

/** Saves Ada's credit limit in two tabs at the same moment, so that their commands race, and
 *  returns the two tabs' answers, `a`'s first.
 *
 *  The engine keeps the state a tab's last save left, and appends on it at once, without a load:
 *  a tab holding such a state would append before the other had read, and nothing would race. So
 *  `third` saves first, and both tabs wait until they have heard of it: a tab that hears another
 *  tab's write forgets what it kept, and both load Ada. Their loads wait behind a held
 *  transaction and read the same version; IndexedDB runs the appends one after the other, so the
 *  second is refused and its tab loads again, decides again and appends after. On a loaded
 *  machine one tab's load can still land after the other's append (no race, nothing to say): a
 *  caller makes the pair again. */
export async function raceLimits(third: LabPage, [a, b]: [LabPage, LabPage], limits: [string, string, string]): Promise<string[]> {
  // The third tab first hears the last pair's writes: a table drawn again while its field is
  // being filled would take the field with it.
  await third.expectEventCount(Math.max(await a.eventRows.count(), await b.eventRows.count()));
  await third.rowCommand('Change the credit limit of Ada');
  await third.page.getByLabel('New credit limit for Ada ($)').fill(limits[0]);
  await third.rowCommand('Save limit');
  const events = await third.eventRows.count();
  for (const tab of [a, b]) await tab.expectEventCount(events);

  for (const [tab, limit] of [
    [a, limits[1]],
    [b, limits[2]],
  ] as const) {
    await tab.rowCommand('Change the credit limit of Ada');
    await tab.page.getByLabel('New credit limit for Ada ($)').fill(limit);
  }
  const before = await Promise.all([a, b].map(async (t) => Number(await t.tableFeedback.getAttribute('data-answered'))));
  await holdEvents(a.page);
  for (const t of [a, b]) await t.page.getByRole('button', { name: 'Save limit', exact: true }).click();
  await a.page.waitForTimeout(300);
  await a.page.evaluate(() => ((window as unknown as { __release: boolean }).__release = true));
  const answers: string[] = [];
  for (const [i, t] of [a, b].entries()) {
    await expect(t.tableFeedback).toHaveAttribute('data-answered', String(before[i] + 1));
    answers.push(await t.tableFeedback.innerText());
  }
  return answers;
}
