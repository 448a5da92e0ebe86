// What only Firefox lets a test do here (WebDriver BiDi's preload scripts; WebKitWebDriver has no
// BiDi): open the lab in a browser without IndexedDB, as the Chromium specs do with an init script.
// The lab must fall back to localStorage by itself, say why, and keep the events across a reload.
// The playwright config runs this file in the firefox project only.
import { expect, test } from './support/engine';
import { testId } from './support/lab';

test('without IndexedDB the lab falls back to localStorage by itself, says so, and keeps the events', async ({ lab, session }) => {
  await session.scriptAddPreloadScript({
    functionDeclaration: String(() => {
      Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
    }),
  });
  await lab.open();
  await lab.expectBackend('localStorage');
  await expect.poll(() => lab.text(testId('fallback-note'))).toContain('IndexedDB');
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.placeOrder('250');
  await lab.runToEnd();
  await lab.reload();
  await lab.expectBackend('localStorage');
  await lab.expectEventTypes(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);
});
