// Two tabs racing need their writes to meet: holding the events store makes every other
// transaction on it wait until the test lets go.
import type { Page } from '@playwright/test';

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
