// The lab's stage, as a teacher runs a room with it: the step controls, the lanes, the event store
// and the customer view on one screen (at 1280×800, on a 1024×768 projector with Large text and
// the dark theme, and on a phone), the forms folded into "Send a command"; what changes is marked
// as it happens (and not for those who ask for reduced motion); event ids lead to the Events
// inspector; buttons with nothing to do are disabled; counts are said in the right number.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { raceLimits } from './support/hold';
import { goToView, LabPage } from './support/lab';
import { ChoreographyPage } from './support/timeline';

/** Large text and the dark theme, as the header's display settings save them. */
async function projector(page: Page) {
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.addInitScript(() => {
    localStorage.setItem('foldlab-display', JSON.stringify({ theme: 'Dark', large_text: true }));
  });
}

function stepButton(page: Page) {
  return page.getByRole('button', { name: 'Step', exact: true });
}

function runButton(page: Page) {
  return page.getByRole('button', { name: 'Run to end' });
}

function lanes(page: Page) {
  return page.getByRole('region', { name: 'Lanes, newest step first' });
}

/** Ada with $1,000.00 and a $250.00 order, not yet delivered. */
async function givenAnOrder(lab: LabPage) {
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '1000');
  await lab.placeOrder('250');
}

async function foldCommands(page: Page) {
  await page.getByText('Send a command', { exact: true }).click();
  await expect(page.getByRole('form', { name: 'Create a customer' })).toBeHidden();
}

async function expectNoSidewaysScroll(page: Page) {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(scroll).toBeLessThanOrEqual(client);
}

/** What the stylesheet writes after a value: "was $1,000.00". */
async function said(value: Locator): Promise<string> {
  return value.evaluate((el) => getComputedStyle(el, '::after').content);
}

async function width(locator: Locator): Promise<number> {
  return (await locator.boundingBox())?.width ?? 0;
}

test('at 1280×800 the stage shows the controls, lanes, event store and customer view together; the forms fold away and stay folded', async ({
  page,
}) => {
  const problems = trackConsoleErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  const lab = new LabPage(page);
  await givenAnOrder(lab);
  await lab.step();
  await foldCommands(page);

  await expect(stepButton(page)).toBeInViewport();
  await expect(lanes(page)).toBeInViewport();
  await expect(page.getByTestId('event-table')).toBeInViewport();
  await expect(lab.customerView).toBeInViewport();
  await expectNoSidewaysScroll(page);
  // The lanes beside the customer view; the event store beside the command side, under them.
  const box = async (name: string) => (await page.getByRole('region', { name, exact: true }).boundingBox())!;
  const [choreo, query, events, command] = await Promise.all(
    ['Choreography', 'Query side: customer view', 'Event store', 'Command side'].map(box),
  );
  expect(choreo.x).toBeLessThan(query.x);
  expect(Math.abs(choreo.y - query.y)).toBeLessThan(2);
  expect(events.y).toBeGreaterThan(choreo.y + choreo.height - 1);
  expect(events.x).toBeLessThan(command.x);
  await page.screenshot({ path: screenshotPath('stage-1280') });

  // Folded is remembered; opened again, the forms are there under their names.
  await page.reload();
  await expect(lab.eventRows).toHaveCount(2);
  await expect(page.getByRole('form', { name: 'Create a customer' })).toBeHidden();
  await page.getByText('Send a command', { exact: true }).click();
  await expect(lab.createForm).toBeVisible();
  await expect(lab.orderForm).toBeVisible();
  expect(problems.messages).toEqual([]);
});

/** The clip on an arrow's words at the start, middle and end of its drawing and once drawn,
 * each different value once. */
async function clipsWhileDrawn(arrow: Locator): Promise<string[]> {
  return arrow.evaluate((el) => {
    const drawing = el.getAnimations({ subtree: true });
    const seen = new Set<string>();
    for (const at of [0, 300, 600, 899]) {
      for (const a of drawing) {
        a.pause();
        a.currentTime = at;
      }
      seen.add(getComputedStyle(el).clipPath);
    }
    drawing.forEach((a) => a.finish());
    seen.add(getComputedStyle(el).clipPath);
    return [...seen];
  });
}

test('on a 1024×768 projector with Large text the stage fits the room and its columns stay readable', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await projector(page);
  const lab = new LabPage(page);
  await givenAnOrder(lab);
  await lab.step();
  await lab.step();
  await foldCommands(page);
  await expect(page.locator('html')).toHaveAttribute('data-text', 'large');

  // The stage itself fits the screen, whatever the page puts above it.
  await page.getByTestId('stage').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await expect(stepButton(page)).toBeInViewport();
  await expect(runButton(page)).toBeInViewport();
  await expect(lanes(page)).toBeInViewport();
  await expect(page.getByTestId('event-table')).toBeInViewport({ ratio: 0.2 });
  await expect(lab.customerView).toBeInViewport({ ratio: 0.2 });
  await expectNoSidewaysScroll(page);
  // Large text moves panels, it does not squeeze them: every lane and the customer view keep
  // room for a few words (22 px text: 5 rem = 110 px).
  for (const head of await page.locator('.lane-heads span:not(:empty)').all()) {
    expect(await width(head)).toBeGreaterThanOrEqual(110);
  }
  expect(await width(page.getByRole('region', { name: 'Query side: customer view' }))).toBeGreaterThanOrEqual(12 * 22);
  for (const head of await page.getByTestId('event-table').locator('th').all()) {
    expect(await width(head)).toBeGreaterThanOrEqual(4 * 22);
  }
  // Once drawn, an arrow is not clipped: an event's name wider than its arrow stands whole.
  const arrows = page.locator('.lane-row .msg');
  expect(await arrows.count()).toBeGreaterThan(0);
  for (const arrow of await arrows.all()) {
    expect(await clipsWhileDrawn(arrow)).toEqual(['none']);
  }
  await page.screenshot({ path: screenshotPath('stage-projector-large-dark') });
  expect(problems.messages).toEqual([]);
});

test('on a phone the stage is one column without sideways scrolling of the page', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  await page.setViewportSize({ width: 390, height: 844 });
  const lab = new LabPage(page);
  await givenAnOrder(lab);
  await lab.step();
  await expectNoSidewaysScroll(page);
  const panels = ['Choreography', 'Query side: customer view', 'Event store', 'Command side'];
  const xs = await Promise.all(panels.map(async (name) => (await page.getByRole('region', { name, exact: true }).boundingBox())!.x));
  expect(new Set(xs.map(Math.round)).size).toBe(1);
  await page.screenshot({ path: screenshotPath('stage-phone'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('a new event, a changed credit, a delivery and a moving checkpoint are marked as they happen', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await givenAnOrder(lab);
  await foldCommands(page);
  // The customer view applies #1; then the Customer service reserves the credit.
  const ada = lab.customerRows.filter({ hasText: 'Ada Lovelace' });
  await lab.step();
  await lab.step();
  await lab.expectEventCount(3);
  await expect(lab.eventRows.last()).toContainText('CreditReserved');

  // The new event row, the available credit with what it was, the newest lane row, the checkpoint.
  await expect(lab.eventRows.last()).toHaveAttribute('data-fresh', '');
  await expect(lab.eventRows.first()).not.toHaveAttribute('data-fresh', '');
  const available = ada.locator('td').nth(3);
  await expect(available.locator('.value')).toHaveText('$750.00');
  await expect(available.locator('.value')).toHaveAttribute('data-fresh', '');
  await expect(available.locator('.value')).toHaveAttribute('data-was', '$1,000.00');
  expect(await said(available.locator('.value'))).toBe('"was $1,000.00"');
  await expect(ada.locator('td').nth(1).locator('.value')).not.toHaveAttribute('data-was');
  const newest = lanes(page).getByTestId('lane-row').first();
  await expect(newest).toHaveAttribute('data-fresh', '');
  await expect(newest).toContainText('→ stored #3');
  await expect(newest).toContainText('CreditReserved #3');
  await expect(lanes(page).getByTestId('lane-row').nth(1)).not.toHaveAttribute('data-fresh', '');
  const customerService = page.getByTestId('checkpoints').locator('li', { hasText: 'Customer service' });
  await expect(customerService).toHaveAttribute('data-fresh', '');
  await expect(customerService).toContainText('#2 was #0');
  // Animated: the row's highlight and the arrow being drawn.
  const animation = (l: Locator) => l.evaluate((el) => getComputedStyle(el).animationName);
  expect(await animation(lab.eventRows.last().locator('td').first())).toBe('fresh');
  // The arrow: its line is drawn and its head comes last; its words stand still, whole.
  const arrow = newest.locator('.msg').first();
  expect(await animation(arrow)).toBe('none');
  const part = (which: string) => arrow.evaluate((el, w) => getComputedStyle(el, w).animationName, which);
  expect(await part('::before')).toBe('draw');
  expect(await part('::after')).toBe('head');
  // Its words are never clipped on the way, at any moment of the drawing.
  for (const msg of await newest.locator('.msg').all()) {
    expect(await clipsWhileDrawn(msg)).toEqual(['none']);
  }
  await page.getByTestId('stage').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: screenshotPath('stage-change-marked') });

  // The next step moves the marks on: the reserved credit is old news.
  await lab.step();
  await expect(available.locator('.value')).not.toHaveAttribute('data-was');
  await expect(lab.eventRows.nth(2)).not.toHaveAttribute('data-fresh', '');

  // For those who ask for reduced motion, nothing moves; the old value is still said in words.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await lab.rowCommand('Change the credit limit of Ada Lovelace');
  await page.getByLabel('New credit limit for Ada Lovelace ($)').fill('2000');
  await lab.rowCommand('Save limit');
  const limit = ada.locator('td').nth(1);
  await expect(limit.locator('.value')).toHaveText('$2,000.00');
  await expect(limit.locator('.value')).toHaveAttribute('data-was', '$1,000.00');
  expect(await said(limit.locator('.value'))).toBe('"was $1,000.00"');
  expect(await animation(limit.locator('.value'))).toBe('none');
  expect(await animation(lab.eventRows.last().locator('td').first())).toBe('none');
  expect(problems.messages).toEqual([]);
});

test("an event's id leads to the Events inspector, which shows it with its cause in sight and no gap under it", async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await givenAnOrder(lab);
  await lab.runToEnd();
  await page.getByTestId('event-table').getByRole('link', { name: 'Event #3 in the Events inspector' }).click();
  await expect(page).toHaveURL(/\/events\?event=3$/);
  await expect(page.getByRole('button', { name: /^Event #3, CreditReserved/ })).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId('selection')).toContainText('Cause: #2 OrderCreated.');
  await expect(page.getByTestId('selection')).toContainText('Effects: #4 OrderApproved.');
  const table = page.getByRole('table', { name: 'Event store' });
  await expect(table.locator('[data-event-id="2"]')).toHaveClass(/cause/);
  await expect(table.locator('[data-event-id="2"]')).toBeInViewport();
  // The row under the opened one starts where its details end.
  const details = await table.locator('.vdetails').boundingBox();
  const next = await table.locator('[data-event-id="4"]').boundingBox();
  expect(Math.abs(next!.y - (details!.y + details!.height))).toBeLessThanOrEqual(2);
  // No benchmark box on a teaching view.
  await expect(page.getByTestId('measured-here')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('stage-events-linked') });

  // The lanes' ids are links too.
  await page.goBack();
  await lanes(page).getByRole('link', { name: 'Event #4 in the Events inspector' }).first().click();
  await expect(page).toHaveURL(/\/events\?event=4$/);
  await expect(page.getByTestId('selection')).toContainText('Selected #4 OrderApproved.');
  expect(problems.messages).toEqual([]);
});

test('Step, Run to end, Step forward and Play are disabled while nothing waits', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await expect(stepButton(page)).toBeDisabled();
  await expect(runButton(page)).toBeDisabled();
  await lab.createCustomer('Ada Lovelace', '1000');
  await expect(stepButton(page)).toBeEnabled();
  await expect(runButton(page)).toBeEnabled();
  await lab.runToEnd();
  await expect(stepButton(page)).toBeDisabled();
  await expect(runButton(page)).toBeDisabled();

  // On the Choreography page, at now with nothing waiting, there is nothing ahead.
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Choreography' }).click();
  const choreo = new ChoreographyPage(page);
  await expect(choreo.title).toContainText('(now)');
  await expect(choreo.forwardButton).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Play' })).toBeDisabled();
  // The key does nothing either.
  const before = await choreo.title.textContent();
  await page.getByRole('heading', { name: 'Choreography, step by step' }).click();
  await page.keyboard.press('.');
  await expect(choreo.title).toHaveText(before ?? '');
  // One step back, and there is something ahead again: the recorded step.
  await choreo.back();
  await expect(choreo.forwardButton).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Play' })).toBeEnabled();
  expect(problems.messages).toEqual([]);
});

test('counts are said in the right number: 1 delivery, 1 event', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada Lovelace', '1000');
  await expect(page.getByTestId('waiting')).toHaveText(/^\d+ (delivery|deliveries) waiting\.$/);
  const n = Number((await page.getByTestId('waiting').textContent())?.split(' ')[0]);
  await expect(page.getByTestId('waiting')).toHaveText(n === 1 ? '1 delivery waiting.' : `${n} deliveries waiting.`);
  while ((await page.getByTestId('waiting').textContent()) !== '1 delivery waiting.') await lab.step();
  await expect(page.getByTestId('waiting')).toHaveText('1 delivery waiting.');
  await goToView(page, 'Events');
  await expect(page.getByTestId('shown')).toHaveText('1 event');
  await page.getByLabel('Entity type').selectOption('Order');
  await expect(page.getByTestId('shown')).toHaveText('0 of 1 event match the filters');
  expect(problems.messages).toEqual([]);
});

test('a command that lost a race says so in a sentence of its own, after its confirmation', async ({ context }) => {
  // Up to six pairs of saves, a few seconds each on a loaded machine.
  test.setTimeout(120_000);
  const tabs = [await context.newPage(), await context.newPage(), await context.newPage()];
  const problems = tabs.map((tab) => trackConsoleErrors(tab));
  const [a, b, third] = tabs.map((tab) => new LabPage(tab));
  await a.open();
  await b.open();
  await third.open();
  await a.createCustomer('Ada', '1000');
  await b.expectEventCount(1);
  await third.expectEventCount(1);
  // Both saves wait behind a held transaction, so both commands load the same version and one
  // loses the race (see raceLimits). On a loaded machine the second load can still land after
  // the first append (no race, nothing to say): then the pair is made again, at most six times.
  let lost: string[] = [];
  for (let round = 0; round < 6 && lost.length === 0; round++) {
    const answers = await raceLimits(third, [a, b], [`${1 + 2 * round}500`, `${2 + 2 * round}000`, `${3 + 2 * round}000`]);
    // Never both: one of the two commits first.
    lost = answers.filter((text) => text.includes('Conflict'));
    expect(lost.length).toBeLessThanOrEqual(1);
  }
  expect(lost).toHaveLength(1);
  expect(lost[0]).toMatch(
    /^Stored CreditLimitChanged #\d+: the credit limit is now \$[\d,]+\.00\. Conflict: Customer c-\w+ was at version \d+ .*retried\.$/,
  );
  expect(lost[0]).not.toContain('retried.:');
  for (const p of problems) expect(p.messages).toEqual([]);
});
