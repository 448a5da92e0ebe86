// The lab in Firefox and WebKit: every view opens, links open views in place and Back returns, the
// choreography runs, and what differs between engines is checked as a user would notice it: a reload keeps the events, two tabs see each
// other's writes, the localStorage fallback keeps them too, a lab file goes out and comes back in,
// and a lesson plays through.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from './support/engine';
import { button, field, form, link, testId } from './support/lab';
import { screenshotPath } from '../e2e/support/console';

test('every view opens with its heading and no error banner, and none scrolls sideways in a narrow window', async ({ lab, session, engine }) => {
  // Some content in every view: a customer, an approved order and one still waiting.
  await lab.open();
  await lab.createCustomer('Katherine Johnson', '1000');
  await lab.placeOrder('300');
  await lab.runToEnd();
  await lab.placeOrder('200');
  const hrefs: string[] = await session.execute(() =>
    [...document.querySelectorAll('nav[aria-label="Views"] a')].map((a) => a.getAttribute('href') ?? ''),
  );
  const paths = [...new Set(hrefs.map((href) => href.replace(/^\/foldlab\//, '')))];
  expect(paths.length).toBeGreaterThanOrEqual(11);
  // The three sizes of the Chromium specs. 390 px is asked for, but Firefox's window is at least
  // 500 px wide and MiniBrowser's 447 (its toolbar): that pass is as narrow as each engine goes;
  // Chromium checks 390 exactly.
  for (const { width, height, largeText } of [
    { width: 1280, height: 800, largeText: false },
    { width: 1024, height: 768, largeText: true },
    { width: 390, height: 844, largeText: false },
  ]) {
    await session.setWindowSize(width, height);
    if (largeText !== (await lab.largeText())) await lab.toggleLargeText();
    const inner: number = await session.execute(() => window.innerWidth);
    expect(inner, 'the window took the size asked for, or its narrowest').toBeLessThanOrEqual(Math.max(width, 500));
    const wide: string[] = [];
    for (const path of [...paths, 'lessons/happy_path', 'about']) {
      await lab.open(path);
      await lab.expectHeading(path);
      expect(await lab.count('//*[contains(@class, "banner") and @role="alert"]'), `${path}: an error banner`).toBe(0);
      const [scroll, viewport]: number[] = await session.execute(() => [
        document.scrollingElement!.scrollWidth,
        window.innerWidth,
      ]);
      if (scroll > viewport) wide.push(`${path}: ${scroll} px wide in ${viewport}`);
    }
    expect(wide, `views wider than a window ${inner} px wide`).toEqual([]);
    await lab.open();
    const shot = screenshotPath(`engines-${engine}-lab-${inner}${largeText ? '-large' : ''}`);
    mkdirSync(dirname(shot), { recursive: true });
    await session.saveScreenshot(shot);
  }
});

test('links within the app open their view without loading the page again, and Back returns', async ({ lab, session }) => {
  await lab.open('');
  await lab.expectHeading('start');
  // A loaded page would lose this.
  await session.execute(() => ((window as unknown as { kept: string }).kept = 'same page'));
  await lab.click(link('Or open the lab and try it yourself'));
  await lab.ready();
  await expect.poll(() => session.execute(() => location.pathname)).toBe('/foldlab/lab');
  await lab.goToView('Lessons');
  await expect.poll(() => session.execute(() => location.pathname)).toBe('/foldlab/lessons');
  await expect.poll(() => lab.text('//main//h2')).toBe('Lessons');
  const current = '//nav[@aria-label="Views"]//a[@aria-current="page"]';
  await expect.poll(() => lab.text(current)).toBe('Lessons');
  await session.back();
  await expect.poll(() => session.execute(() => location.pathname)).toBe('/foldlab/lab');
  await expect.poll(() => lab.text(current)).toBe('Lab');
  await session.back();
  await expect.poll(() => lab.text('//main//h2')).toBe('Start here');
  expect(await session.execute(() => (window as unknown as { kept?: string }).kept)).toBe('same page');
});

test('an order goes through the choreography, and a reload keeps the events in IndexedDB', async ({ lab }) => {
  await lab.open();
  await lab.expectBackend('IndexedDB');
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.placeOrder('250');
  await lab.runToEnd();
  const approved = ['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved'];
  await lab.expectEventTypes(approved);
  await expect.poll(() => lab.text(`${testId('orders')}//tbody/tr`)).toContain('APPROVED');

  await lab.reload();
  await lab.expectBackend('IndexedDB');
  await lab.expectEventTypes(approved);
  await expect.poll(() => lab.text(testId('view-lag'))).toContain('Up to date');
});

test("two tabs see each other's writes without a reload", async ({ lab, session }) => {
  await lab.open();
  const first = await session.getWindowHandle();
  await session.newWindow(new URL('lab', lab.base).href);
  const second = await session.getWindowHandle();
  await lab.ready();

  await lab.createCustomer('Ada', '1000');
  await session.switchToWindow(first);
  await lab.expectEventTypes(['CustomerCreated']);
  await lab.placeOrder('40');
  await session.switchToWindow(second);
  await lab.expectEventTypes(['CustomerCreated', 'OrderCreated']);
});

test('with IndexedDB turned off the lab keeps its events in localStorage, across a reload', async ({ lab }) => {
  await lab.open('faults');
  await lab.click(button('Turn IndexedDB off and reload'));
  await lab.ready();
  await lab.expectBackend('localStorage');
  await expect.poll(() => lab.text(testId('fallback-note'))).toContain('it was turned off on the Faults page');

  await lab.open();
  await lab.createCustomer('Grace Hopper', '100');
  await lab.placeOrder('60');
  await lab.runToEnd();
  await lab.reload();
  await lab.expectBackend('localStorage');
  await lab.expectEventTypes(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);
  const stored: number = await lab.session.execute(
    () => Object.keys(localStorage).filter((key) => key.startsWith('foldlab')).length,
  );
  expect(stored).toBeGreaterThan(0);

  // Back on: IndexedDB's own (empty) log again.
  await lab.open('faults');
  await lab.click(button('Turn IndexedDB back on and reload'));
  await lab.ready();
  await lab.expectBackend('IndexedDB');
});

test('a lab exported, reset and imported holds the same events; a bad file is refused', async ({ lab, driver }, testInfo) => {
  await lab.open();
  await lab.createCustomer('Ada', '100');
  await lab.placeOrder('60');
  await lab.runToEnd();
  const before = await lab.eventTypes();

  await lab.goToView('Share');
  for (const name of readdirSync(driver.current.downloads)) rmSync(join(driver.current.downloads, name));
  await lab.click(button('Export lab file'));
  await expect.poll(() => lab.text('//*[@role="status" and contains(., "Saved foldlab-lab-")]')).toContain('4 events');
  // The file the browser saved, once it is whole.
  const saved = () => {
    const names = readdirSync(driver.current.downloads).filter((name) => /^foldlab-lab-[\d-]+\.json$/.test(name));
    return names.length === 1 ? readFileSync(join(driver.current.downloads, names[0]), 'utf8') : '';
  };
  const eventsIn = (text: string) => {
    try {
      const file = JSON.parse(text);
      return file.format === 'foldlab-lab' ? file.events.length : -1;
    } catch {
      return -1;
    }
  };
  await expect.poll(() => eventsIn(saved())).toBe(4);
  const exported = saved();

  await lab.reset();
  const path = testInfo.outputPath('lab.json');
  writeFileSync(path, exported);
  const importer = await lab.$(field('Lab file to import'));
  await importer.setValue(path);
  await expect.poll(() => lab.text('//*[@role="group" and @aria-label="Confirm import"]')).toContain('valid lab with 4 events');
  await lab.click(button('Replace the lab'));
  await expect.poll(() => lab.text('//*[@role="status" and contains(., "Imported")]')).toContain('Imported 4 events');

  const bad = testInfo.outputPath('malformed.json');
  writeFileSync(bad, '{"format": "foldlab-lab", "events": [');
  await importer.setValue(bad);
  await expect.poll(() => lab.text(testId('import-error'))).toContain('The file is not valid JSON');
  await expect.poll(() => lab.text(testId('import-error'))).toContain('The current lab is untouched.');

  await lab.click(link('Lab', '//nav[@aria-label="Views"]'));
  await lab.expectEventTypes(before);
});

test('a lesson plays through to its end', async ({ lab }) => {
  await lab.open('lessons/happy_path');
  await lab.click(button('Start the lesson'));
  await expect.poll(() => lab.text(testId('lesson-step'))).toBe('Step 1 of 3');
  await lab.createCustomer('Ada', '100');
  await lab.click(button('Next'));

  await expect.poll(() => lab.text(testId('lesson-step'))).toBe('Step 2 of 3');
  await lab.click('//label[contains(., "OrderCreated only")]//input[@type="radio"]');
  await lab.click(button('Answer'));
  await lab.placeOrder('40');
  await expect.poll(() => lab.text(testId('verdict'))).toContain('You were right.');
  await lab.click(button('Next'));

  await expect.poll(() => lab.text(testId('lesson-step'))).toBe('Step 3 of 3');
  await lab.click('//label[contains(., "$60.00")]//input[@type="radio"]');
  await lab.click(button('Answer'));
  await lab.click(button('Do it for me'));
  await expect.poll(() => lab.text(testId('verdict'))).toContain('You were right.');
  await lab.click(button('Next'));
  await expect.poll(() => lab.text('//*[@role="status" and contains(., "Lesson complete")]')).not.toBe('');
  await lab.expectEventTypes(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);
});

test('Settings say where the events are kept, and how much room they use when the browser tells', async ({ lab, session }) => {
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.openSettings();
  await lab.expectBackend('IndexedDB');
  const use = testId('storage-use');
  // WebKitGTK has no navigator.storage: then nothing is said about a quota it does not report.
  const reports: boolean = await session.execute(() => typeof navigator.storage?.estimate === 'function');
  if (!reports) {
    expect(await lab.count(use)).toBe(0);
    return;
  }
  await expect.poll(() => lab.text(use)).toMatch(/^Uses [\d.]+ (bytes|KB|MB) of about [\d.]+ (MB|GB|TB)\./);
  // What it says about keeping the events is what this browser itself answers.
  const persisted: boolean = await session.executeAsync((done: (kept: boolean) => void) => {
    navigator.storage.persisted().then(done);
  });
  await expect
    .poll(() => lab.text(use))
    .toContain(persisted ? 'The browser keeps them until you reset the lab.' : 'The browser may clear them if the device runs short of space.');
});
