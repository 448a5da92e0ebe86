// Guided lessons and sharing, as a teacher uses them: a lesson played by acting in the lab (typing,
// Step), with a prediction before the step that matters, a done mark on the path of lessons that a
// reset clears; the lab exported and imported, bad files refused with the lab untouched, and links
// that reproduce a lesson or a scenario.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectNothingUncitable } from './support/claims';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { screenshotsAtThreeSizes } from './support/sizes';
import { openSettings, goToView, LabPage, toggleLargeText } from './support/lab';

const scenarios = join(__dirname, '..', '..', 'scenarios');

async function openLesson(page: Page, title: string) {
  await page.goto('./');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
  await page.getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 2, name: title })).toBeVisible();
}

/** Resets the lab the way a teacher does: one place to change if the button moves into a menu. */
async function resetLab(page: Page) {
  await openSettings(page);
  await page.getByRole('button', { name: 'Reset lab…' }).click();
  await page.getByRole('button', { name: 'Yes, delete everything' }).click();
  await expect(page.getByRole('button', { name: 'Reset lab…' })).toBeEnabled();
}

/** Starts the lesson open on the page, confirming the reset if the lab holds events. */
async function startLesson(page: Page) {
  await page.getByRole('button', { name: 'Start the lesson' }).click();
  const confirm = page.getByRole('button', { name: 'Reset the lab and start' });
  if (await confirm.isVisible()) await confirm.click();
  await expect(page.getByTestId('lesson-step')).toHaveText(/^Step 1 of \d+$/, { timeout: 60_000 });
}

/** Answers the question on screen with the choice of this name. */
async function predict(page: Page, choice: string) {
  const question = page.getByRole('group').filter({ has: page.getByRole('radio') }).first();
  await question.getByRole('radio', { name: choice }).check();
  await page.getByRole('button', { name: 'Answer' }).click();
}

test('a lesson is played by acting in the lab: predict, act, see; complete only after its last step', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await openLesson(page, 'What happens when you place an order?');
  await startLesson(page);
  const strip = page.getByRole('region', { name: 'What happens when you place an order?' });
  const next = strip.getByRole('button', { name: 'Next' });

  // Step 1: the learner types the customer in the lab's own form.
  await expect(strip.getByTestId('lesson-task')).toContainText('create Ada with a credit limit of $100.00');
  await expect(next).toBeDisabled();
  // "Show me where" outlines the form and puts the keyboard in it.
  await strip.getByRole('button', { name: 'Show me where' }).click();
  await expect(lab.createForm).toHaveAttribute('data-look', '');
  await expect(lab.createForm.getByLabel('Name')).toBeFocused();
  await lab.createCustomer('Ada', '100');
  await expect(strip).toContainText('One command created one aggregate');
  // Issue 12: "1 events, 1 deliveries".
  await strip.getByText('What ran, and where the lab stands').click();
  await expect(strip.getByTestId('lab-stands')).toContainText('Event store: 1 event, 1 delivery waiting');
  await strip.getByText('What ran, and where the lab stands').click();
  await expect(next).toBeEnabled();
  await next.click();

  // Step 2: a question before the order; a wrong answer is told, with the right one and why.
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await expect(strip.getByRole('group', { name: 'Right after you place the order, what does the event store hold?' })).toBeVisible();
  await screenshotsAtThreeSizes(page, 'lesson-predict');
  await predict(page, 'OrderCreated and CreditReserved: the order is approved at once');
  await expect(strip.getByTestId('lesson-task')).toContainText('place an order of $40.00');
  await lab.placeOrder('40');
  const verdict = strip.getByTestId('verdict');
  await expect(verdict).toContainText('Not quite: OrderCreated only: the order is NEW.');
  await expect(verdict).toContainText('Part 1, One Transaction Creates or Updates One Aggregate');
  await expect(page.getByRole('status').filter({ hasText: 'Lesson complete' })).toHaveCount(0);
  await next.click();

  // Step 3: a right answer, then Step: one delivery is not the end of the step.
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 3');
  await predict(page, '$60.00');
  await lab.step();
  await expect(strip.getByTestId('verdict')).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Lesson complete' })).toHaveCount(0);
  // "Do it for me" makes the rest of the deliveries.
  await strip.getByRole('button', { name: 'Do it for me' }).click();
  await expect(strip.getByTestId('verdict')).toContainText('You were right.');
  expect(await lab.eventTypes()).toEqual(['CustomerCreated', 'OrderCreated', 'CreditReserved', 'OrderApproved']);
  await expect(lab.customerView.getByRole('article', { name: 'Customer view of Ada' })).toContainText('$60.00');

  // "Show me" outlines the part of the lab the step points at.
  await strip.getByRole('button', { name: 'Show me', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Query side: customer view' })).toHaveAttribute('data-look', '');
  await screenshotsAtThreeSizes(page, 'lesson-reveal');

  await next.click();
  await expect(page.getByRole('status').filter({ hasText: 'Lesson complete' })).toBeVisible();

  // Back shows the earlier step; a reload lands on the same one.
  await strip.getByRole('button', { name: 'Back' }).click();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await expect(page).toHaveURL(/\/foldlab\/lessons\/happy_path\?step=2$/);
  await page.reload();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 2 of 3');
  await expect(page.getByTestId('verdict')).toContainText('Not quite');
  // The keys answer once the reloaded lab has read its log, as the Next button shows.
  await expect(next).toBeEnabled();
  await page.keyboard.press('.');
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 3');
  await lab.expectEventCount(4);

  // The path marks the lesson done; a reset of the lab clears the mark.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
  const item = page.getByTestId('lesson-item').filter({ hasText: 'What happens when you place an order?' });
  await expect(item).toContainText('done');
  await expect(page.getByTestId('lessons-done')).toHaveText('1 of 13 lessons done');
  await expect(page.getByRole('heading', { name: 'Reliability' })).toBeVisible();
  await expect(item).toContainText('4 min');
  await screenshotsAtThreeSizes(page, 'lessons-list');
  await resetLab(page);
  await page.reload();
  await expect(page.getByTestId('lesson-item').filter({ hasText: 'What happens when you place an order?' })).not.toContainText('done');
  await expect(page.getByTestId('lessons-done')).toHaveText('0 of 13 lessons done');
  expect(problems.messages).toEqual([]);
});

test('a scenario lesson asks before its part runs, and a lesson left midway is offered again', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await openLesson(page, 'What if a service crashes before its checkpoint?');
  await startLesson(page);
  const strip = page.getByRole('region', { name: 'What if a service crashes before its checkpoint?' });
  // The learner sets the stage by hand; the lab then runs the crash.
  await lab.createCustomer('Ada', '10');
  await strip.getByRole('button', { name: 'Next' }).click();
  await lab.placeOrder('15');
  await strip.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 3 of 5');
  await strip.getByRole('button', { name: 'Run this part' }).click();
  await strip.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('lesson-step')).toHaveText('Step 4 of 5');
  await expect(lab.steps.first()).toContainText('crashed before its checkpoint');
  await expect(strip.getByRole('button', { name: 'Run this part' })).toHaveCount(0);
  await predict(page, 'The Customer records a second CreditLimitExceeded');
  await strip.getByRole('button', { name: 'Run this part' }).click();
  await expect(strip.getByTestId('verdict')).toContainText("Not quite: It is discarded: the Customer's stream already holds the effect of that event.");
  await expect(page.getByTestId('steps')).toContainText('duplicate discarded');

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
  await expect(page.getByRole('status')).toContainText('You are in the middle of What if a service crashes before its checkpoint?');
  expect(problems.messages).toEqual([]);
});

test('a lab exported, reset and imported holds the same events; bad files are refused and change nothing', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await openLesson(page, 'What happens to an order over the credit limit?');
  await startLesson(page);
  await page.getByRole('button', { name: 'Do it for me' }).click();
  await lab.expectEventCount(1);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Do it for me' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await predict(page, 'It is stored, NEW, like the first');
  await page.getByRole('button', { name: 'Do it for me' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await predict(page, 'It is cancelled: the Customer records CreditLimitExceeded');
  await page.getByRole('button', { name: 'Do it for me' }).click();
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
  await openLesson(page, 'What if an event is delivered twice?');
  await page.getByText('What ran, and where the lab stands').click();
  const lessonLink = await page.getByLabel('Link to this lesson').inputValue();
  expect(lessonLink).toMatch(/\/foldlab\/lessons\/duplicate_delivery$/);
  await page.goto('./');
  await page.goto(lessonLink);
  await expect(page.getByRole('heading', { level: 2, name: 'What if an event is delivered twice?' })).toBeVisible();
  expect(problems.messages).toEqual([]);
});

test('every lesson runs to its last step against the lab without an error', async ({ page }) => {
  test.setTimeout(300_000);
  const problems = trackConsoleErrors(page);
  await page.goto('./lessons');
  await expect(page.getByTestId('backend')).toHaveText('Events kept in IndexedDB');
  // The list is the Lessons view's own code, fetched when the view opens: wait for it.
  await expect(page.locator('.lesson-list h4 a')).toHaveCount(13);
  const titles = await page.locator('.lesson-list h4 a').allTextContents();
  for (const title of titles) {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Lessons' }).click();
    await page.getByRole('link', { name: title, exact: true }).click();
    await startLesson(page);
    const counter = page.getByTestId('lesson-step');
    const total = Number((await counter.textContent())?.split(' of ')[1]);
    const complete = page.getByRole('status').filter({ hasText: 'Lesson complete' });
    for (let n = 1; n <= total; n++) {
      await expect(counter).toHaveText(`Step ${n} of ${total}`);
      // Answer any question (the first choice), make the step happen, read it, go on.
      if (await page.getByRole('button', { name: 'Answer' }).isVisible()) {
        await page.getByRole('radio').first().check();
        await page.getByRole('button', { name: 'Answer' }).click();
      }
      const run = page.getByRole('button', { name: 'Run this part' });
      const doIt = page.getByRole('button', { name: 'Do it for me' });
      await expect(run.or(doIt).or(page.getByRole('button', { name: 'Show me', exact: true })).first()).toBeVisible({ timeout: 60_000 });
      if (await run.isVisible()) await run.click();
      else if (await doIt.isVisible()) await doIt.click();
      await expect(page.getByRole('button', { name: 'Show me', exact: true })).toBeVisible({ timeout: 60_000 });
      // Issue 11: every step's text, and the deliveries told beside it, cite what a learner can find.
      await expectNothingUncitable(page, `${title}, step ${n}`);
      if (n < total) await expect(complete).toHaveCount(0);
      await page.getByRole('button', { name: 'Next' }).click();
    }
    await expect(complete).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
  }
  expect(problems.messages).toEqual([]);
});
