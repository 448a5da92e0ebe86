// Guided lessons and sharing, as a teacher uses them: a lesson stepped through beside the live lab
// (and found again after a reload), the lab exported and imported, bad files refused with the lab
// untouched, and links that reproduce a lesson or a scenario.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectNothingUncitable } from './support/claims';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { openSettings, goToView, LabPage } from './support/lab';

const scenarios = join(__dirname, '..', '..', 'scenarios');

async function openLesson(page: Page, title: string) {
  await page.goto('./');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
  await page.getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
}

async function resetLab(page: Page) {
  await openSettings(page);
  await page.getByRole('button', { name: 'Reset lab…' }).click();
  await page.getByRole('button', { name: 'Yes, delete everything' }).click();
  await expect(page.getByRole('button', { name: 'Reset lab…' })).toBeEnabled();
}

test('a lesson runs a part of its scenario per step and a reload lands on the same step', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await openLesson(page, 'An order is approved through the choreography');

  await page.getByRole('button', { name: 'Start the lesson' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 3');
  await expect(page.getByRole('heading', { name: 'A customer is created' })).toBeVisible();
  await lab.expectEventCount(1);
  await expect(page.getByTestId('lesson-ran')).toContainText('Create customer c1 (Ada) with a $100.00 limit → stored #1');

  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await lab.expectEventCount(2);
  await expect(lab.orderRows.first()).toContainText('NEW');
  await expect(page.getByTestId('waiting')).toContainText('deliveries waiting');

  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 3');
  expect(await lab.eventTypes()).toEqual(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);
  await expect(lab.customerView.getByRole('article', { name: 'Customer view of Ada' })).toContainText('$60.00');
  await expect(page.getByTestId('steps')).toContainText('Order service received #3');
  await expect(page.getByRole('status').filter({ hasText: 'Lesson complete' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('lesson-step-3'), fullPage: true });

  // Back shows the earlier text; the events stay (an event store only appends).
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await expect(page).toHaveURL(/\/foldlab\/lessons\/happy_path\?step=2$/);
  await page.reload();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await expect(page.getByRole('heading', { name: 'An order is placed' })).toBeVisible();
  await lab.expectEventCount(4);
  // Next after a reload does not run the part again.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 3');
  await lab.expectEventCount(4);

  // The keyboard does the same: ← (or ,) goes back, → (or .) goes on.
  await expect(page.getByRole('button', { name: 'Next' })).toHaveAttribute('aria-keyshortcuts', 'ArrowRight .');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await page.keyboard.press('.');
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 3');
  await lab.expectEventCount(4);

  // Starting over asks before it replaces the lab.
  await page.getByRole('button', { name: 'Start over…' }).click();
  const confirm = page.getByRole('group', { name: 'Confirm starting the lesson' });
  await expect(confirm).toContainText('all 4 events');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await lab.expectEventCount(4);
  await page.getByRole('button', { name: 'Start over…' }).click();
  await page.getByRole('button', { name: 'Reset the lab and start' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 3');
  await lab.expectEventCount(1);

  // The lessons list offers to go back to the lesson in progress.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
  await expect(page.getByRole('status')).toContainText('You are in the middle of An order is approved through the choreography, step 1 of 3.');
  await page.screenshot({ path: screenshotPath('lessons-list'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('a crash lesson and a projection lesson run against the lab and say where it stands', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await openLesson(page, 'A crash between the effect and the checkpoint');
  await page.getByRole('button', { name: 'Start the lesson' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 4');
  await expect(lab.steps.first()).toContainText('crashed before its checkpoint');
  for (const n of [3, 4]) {
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('lesson-step')).toHaveText(`Step ${n} of 4`);
  }
  expect(await lab.eventTypes()).toEqual(['CustomerCreated', 'OrderCreated', 'CreditLimitExceeded', 'OrderCancelled']);
  await expect(page.getByTestId('steps')).toContainText('duplicate discarded');

  await page.getByRole('link', { name: 'All lessons' }).click();
  await page.getByRole('link', { name: 'Rebuilding and adding a view' }).click();
  await page.getByRole('button', { name: 'Start the lesson' }).click();
  await page.getByRole('button', { name: 'Reset the lab and start' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 1 of 4');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lab-stands')).toContainText('low-credit-limit at #5, 0 behind');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(lab.viewLag).toContainText('Lagging');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 4 of 4');
  await expect(lab.viewLag).toContainText('Up to date');
  await expect(lab.customerView.getByRole('article', { name: 'Customer view of Grace' })).toContainText('$4,000.00');
  expect(problems.messages).toEqual([]);
});

test('a lab exported, reset and imported holds the same events; bad files are refused and change nothing', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await openLesson(page, 'An order over the credit limit is cancelled');
  await page.getByRole('button', { name: 'Start the lesson' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 2');
  await lab.expectEventCount(7);
  const before = await lab.eventTypes();

  await goToView(page, 'Share');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export lab file' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^foldlab-lab-\d{4}-\d{2}-\d{2}\.json$/);
  const exported = readFileSync(await download.path(), 'utf8');
  const file = JSON.parse(exported);
  expect(file.format).toBe('foldlab-lab');
  expect(file.format_version).toBe(1);
  expect(file.events).toHaveLength(7);
  expect(file.journal.length).toBeGreaterThan(0);
  await expect(page.getByRole('status').filter({ hasText: 'Saved foldlab-lab-' })).toContainText('7 events');

  await resetLab(page);
  const importer = page.getByLabel('Lab file to import');
  await importer.setInputFiles({ name: 'lab.json', mimeType: 'application/json', buffer: Buffer.from(exported) });
  const confirm = page.getByRole('group', { name: 'Confirm import' });
  await expect(confirm).toContainText('valid lab with 7 events. Replace the current lab (0 events)');
  await confirm.getByRole('button', { name: 'Replace the lab' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Imported 7 events' })).toBeVisible();

  const refusals: [string, string, string][] = [
    ['malformed.json', '{"format": "foldlab-lab", "events": [', 'The file is not valid JSON'],
    [
      'hostile.json',
      (() => {
        const hostile = JSON.parse(exported);
        const created = hostile.events[0];
        const data = JSON.parse(created.event_data);
        data.name = '<script>alert(1)</script>';
        created.event_data = JSON.stringify(data);
        return JSON.stringify(hostile);
      })(),
      'the field events[0].event_data.name contains \u201c<\u201d',
    ],
    ['deep.json', `{"format": ${'['.repeat(40)}${']'.repeat(40)}}`, 'nested too deeply: more than 32 levels'],
  ];
  for (const [name, text, message] of refusals) {
    await importer.setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    const alert = page.getByTestId('import-error');
    await expect(alert).toContainText(message);
    await expect(alert).toContainText('The current lab is untouched.');
    await expect(page.getByRole('group', { name: 'Confirm import' })).toHaveCount(0);
  }
  await page.screenshot({ path: screenshotPath('share-import-refused'), fullPage: true });

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lab', exact: true }).click();
  expect(await lab.eventTypes()).toEqual(before);
  await expect(lab.customerView.getByRole('article', { name: 'Customer view of Ada' })).toContainText('$3.00');
  expect(problems.messages).toEqual([]);
});

test('a scenario file runs in the lab, and its copied link runs it again elsewhere', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await page.goto('./share');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');

  await page.getByLabel('Scenario file to load').setInputFiles(join(scenarios, 'late_delivery.json'));
  const loaded = page.getByRole('article', { name: 'Loaded scenario' });
  await expect(loaded.getByRole('heading', { name: 'a held-back view delivers late' })).toBeVisible();
  await expect(loaded).toContainText('From the file late_delivery.json; 5 steps.');
  await loaded.getByRole('button', { name: 'Copy link' }).click();
  await expect(loaded.getByRole('status')).toHaveText('The link is copied.');
  const link = await loaded.getByLabel('Link to this scenario').inputValue();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  expect(link).toMatch(/\/foldlab\/share#scenario=[A-Za-z0-9_-]+$/);

  await loaded.getByRole('button', { name: 'Run it in the lab' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Ran “a held-back view delivers late”' })).toContainText('5 steps, 0 refused');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: screenshotPath('share-dark'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // A scenario file with markup in a name is refused.
  const hostile = readFileSync(join(scenarios, 'happy_path.json'), 'utf8').replace('"Ada"', '"<img src=x onerror=alert(1)>"');
  await page.getByLabel('Scenario file to load').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(hostile) });
  await expect(page.getByRole('alert')).toContainText('steps[0].create_customer.name contains');

  // Opened elsewhere (here: after a reset and a fresh page load), the link offers the scenario.
  await resetLab(page);
  await page.goto('./');
  await page.goto(link);
  const fromLink = page.getByRole('article', { name: 'Loaded scenario' });
  await expect(fromLink).toContainText('From a link; 5 steps.');
  await fromLink.getByRole('button', { name: 'Run it in the lab' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Ran “a held-back view delivers late”' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lab', exact: true }).click();
  await expect(lab.viewLag).toContainText('Lagging');
  await expect(lab.orderRows.first()).toContainText('APPROVED');

  // A lesson's link opens the lesson.
  await openLesson(page, 'Every handler discards an event delivered twice');
  const lessonLink = await page.getByLabel('Link to this lesson').inputValue();
  expect(lessonLink).toMatch(/\/foldlab\/lessons\/duplicate_delivery$/);
  await page.goto('./');
  await page.goto(lessonLink);
  await expect(page.getByRole('heading', { level: 2, name: 'Every handler discards an event delivered twice' })).toBeVisible();
  expect(problems.messages).toEqual([]);
});

test('every lesson runs to its last step against the lab without an error', async ({ page }) => {
  test.setTimeout(240_000);
  const problems = trackConsoleErrors(page);
  await page.goto('./lessons');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  const titles = await page.locator('.lesson-list h3').allTextContents();
  expect(titles).toHaveLength(13);
  for (const title of titles) {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
    await page.getByRole('link', { name: title, exact: true }).click();
    await page.getByRole('button', { name: 'Start the lesson' }).click();
    const confirm = page.getByRole('button', { name: 'Reset the lab and start' });
    if (await confirm.isVisible()) await confirm.click();
    const counter = page.getByTestId('lesson-step');
    await expect(counter).toHaveText(/^Step 1 of \d+$/, { timeout: 60_000 });
    const total = Number((await counter.textContent())?.split(' of ')[1]);
    // Issue 11: every step's text, and the deliveries told beside it, cite what a learner can find.
    await expectNothingUncitable(page, `${title}, step 1`);
    for (let n = 2; n <= total; n++) {
      await page.getByRole('button', { name: 'Next' }).click();
      await expect(counter).toHaveText(`Step ${n} of ${total}`, { timeout: 60_000 });
      await expectNothingUncitable(page, `${title}, step ${n}`);
    }
    await expect(page.getByRole('status').filter({ hasText: 'Lesson complete' })).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
  }
  expect(problems.messages).toEqual([]);
});
