// Hostile input, field by field: markup and script, control and right-to-left characters, very long
// text and numbers that are not money, typed into every form and filter, carried in a link or an
// address, or read from a file. Each is either refused with a message beside what was used and
// nothing stored, or taken as literal text: shown exactly as typed, with no element created from
// it and no script run. (lab.spec.ts and lessons.spec.ts cover the first cases of each: an empty
// name, a word for an amount, a malformed, deep or script-holding lab file.)
import { expect, test, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';

const scenarios = join(__dirname, '..', '..', 'scenarios');

const MARKUP = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=1</script>',
  '"><svg onload="window.__pwned=1">',
];
const RTL_OVERRIDE = 'invoice\u202Efdp.exe';

/** Amounts a person might type or paste that are not money, and what the refusal says. */
const NOT_MONEY: [string, string][] = [
  ['1e309', '\u201c1e309\u201d is not an amount'],
  ['NaN', '\u201cNaN\u201d is not an amount'],
  ['Infinity', '\u201cInfinity\u201d is not an amount'],
  ['0x10', '\u201c0x10\u201d is not an amount'],
  ['12.345', '\u201c12.345\u201d has more than two decimals'],
  ['', 'Enter an amount'],
  ['99999999999999999999', 'too large for this lab'],
  [MARKUP[0], '\u201c<img src=x onerror="wind\u2026\u201d is not an amount'],
  ['7'.repeat(5000) + 'x', `\u201c${'7'.repeat(24)}\u2026\u201d is not an amount`],
];

type Counts = Record<string, number>;

/** How many elements of each kind that markup could create are in the page. */
async function elements(page: Page): Promise<Counts> {
  return page.evaluate(() =>
    Object.fromEntries(
      ['img', 'script', 'svg', 'iframe', 'object', 'embed', 'style', 'a[href^="javascript"]'].map((s) => [
        s,
        document.querySelectorAll(s).length,
      ]),
    ),
  );
}

/** Nothing was made from the input: no new element, no script ran. */
async function expectNothingInjected(page: Page, before: Counts) {
  expect(await elements(page)).toEqual(before);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function views(page: Page, name: string): Promise<void> {
  return page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true }).click();
}

test('the create customer form refuses markup, controls and amounts that are not money, and stores nothing', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  const before = await elements(page);
  const alert = lab.createForm.getByRole('alert');

  const refusedNames: [string, string][] = [
    // The first of \u201c<\u201d or \u201c>\u201d is named.
    [MARKUP[0], 'A name cannot contain \u201c<\u201d'],
    [MARKUP[1], 'A name cannot contain \u201c<\u201d'],
    [MARKUP[2], 'A name cannot contain \u201c>\u201d'],
    ['javascript:window.__pwned=1', 'A name cannot contain \u201cjavascript:\u201d'],
    [RTL_OVERRIDE, 'A name cannot contain a right-to-left or left-to-right control (U+202E)'],
    ['bell\u0007', 'A name cannot contain a control character (U+0007)'],
  ];
  for (const [name, message] of refusedNames) {
    await lab.createCustomer(name, '100');
    await expect(alert).toContainText(message);
    await expect(lab.createForm.getByLabel('Name')).toHaveValue(name);
  }
  // Pasting a page of text: the field keeps 200 characters, the Customer refuses more than 80.
  await lab.createCustomer('x'.repeat(10_000), '100');
  await expect(alert).toHaveText('A name can be at most 80 characters long.');
  expect((await lab.createForm.getByLabel('Name').inputValue()).length).toBeLessThanOrEqual(200);

  for (const [limit, message] of [...NOT_MONEY, ['-5', 'A credit limit must be more than $0.00 (-$5.00 was given)']]) {
    await lab.createCustomer('Ada', limit);
    await expect(alert).toContainText(message);
    await expect(lab.createForm.getByLabel('Credit limit ($)')).toHaveValue(limit);
  }
  await lab.expectEventCount(0);
  await expectNothingInjected(page, before);

  // Punctuation that markup uses but cannot make markup alone, and other scripts, are names.
  const names = [`O'Brien & "Sons" {1} /x=y`, 'Zoë 李小龙 محمد'];
  for (const name of names) {
    await lab.createCustomer(name, '$1,250.50');
    await expect(lab.createForm.getByRole('status')).toContainText('with a $1,250.50 credit limit');
  }
  await lab.expectEventCount(2);
  for (const [i, name] of names.entries()) {
    expect(await lab.customerRows.nth(i).locator('td').first().innerText()).toContain(name);
  }
  await lab.runToEnd();
  await expect(lab.customerView.getByRole('article', { name: `Customer view of ${names[0]}` })).toContainText(names[0]);
  await expectNothingInjected(page, before);
  await page.screenshot({ path: screenshotPath('hostile-create-customer'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('an order total and a new credit limit that are not money are refused and change nothing', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada', '1000');
  await lab.expectEventCount(1);
  const before = await elements(page);

  const orderAlert = lab.orderForm.getByRole('alert');
  for (const [total, message] of [...NOT_MONEY, ['-5', 'An order total must be more than $0.00 (-$5.00 was given)']]) {
    await lab.placeOrder(total);
    await expect(orderAlert).toContainText(message);
    await expect(lab.orderForm.getByLabel('Order total ($)')).toHaveValue(total);
  }
  await lab.expectEventCount(1);
  await expect(lab.orderRows).toHaveCount(0);

  await lab.rowCommand('Change the credit limit of Ada');
  const limit = page.getByLabel('New credit limit for Ada ($)');
  const feedback = lab.tableFeedback.getByRole('alert');
  for (const [text, message] of [...NOT_MONEY, ['-5', 'A credit limit must be more than $0.00 (-$5.00 was given)']]) {
    await limit.fill(text);
    await lab.rowCommand('Save limit');
    await expect(feedback).toContainText(message);
    await expect(limit).toHaveValue(text);
  }
  await lab.expectEventCount(1);
  await expect(lab.customerRows.first().locator('td').nth(1)).toHaveText('$1,000.00');
  await expectNothingInjected(page, before);
  await page.screenshot({ path: screenshotPath('hostile-amounts'), fullPage: true });
  expect(problems.messages).toEqual([]);
});

test('the event filter takes any text as a search and matches nothing with it', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada', '1000');
  await views(page, 'Events');
  await expect(page.getByTestId('shown')).toHaveText('1 event');
  const before = await elements(page);
  const filter = page.getByLabel('Entity id');
  for (const text of [...MARKUP, RTL_OVERRIDE, 'é'.repeat(20_000), "' OR 1=1 --", '.*']) {
    await filter.fill(text);
    await expect(page.getByTestId('shown')).toHaveText('0 of 1 event match the filters');
    await expect(filter).toHaveValue(text);
  }
  await expectNothingInjected(page, before);
  await filter.fill('');
  await expect(page.getByTestId('shown')).toHaveText('1 event');
  expect(problems.messages).toEqual([]);
});

test('a scenario link or file with markup, the wrong shape or too much in it is refused; a description is text', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Grace', '500');
  const happy = JSON.parse(readFileSync(join(scenarios, 'happy_path.json'), 'utf8'));
  const withName = (name: string) => JSON.stringify({ ...happy, name });

  const links: [string, string][] = [
    [encodeURIComponent(MARKUP[0]), "The link's scenario cannot be read"],
    [base64url('<b>not json</b>'), 'is not a scenario Foldlab can run'],
    [base64url(withName(MARKUP[1])), 'the field name contains \u201c<\u201d'],
    [base64url(withName(`happy ${RTL_OVERRIDE}`)), 'the field name contains a right-to-left or left-to-right control (U+202E)'],
    [base64url(`{"name": ${'['.repeat(40)}${']'.repeat(40)}}`), 'nested too deeply: more than 32 levels'],
    [base64url('[]'), 'is not a scenario Foldlab can run'],
  ];
  for (const [fragment, message] of links) {
    await page.goto('./');
    await page.goto(`./share#scenario=${fragment}`);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(message);
    await expect(alert).toContainText('The current lab is untouched.');
    await expect(page.getByRole('article', { name: 'Loaded scenario' })).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  }

  // A description is prose and may say "a total > the limit": it is shown exactly as written.
  const description = `${MARKUP.join(' and ')} & a total > the limit`;
  await page.goto('./');
  await page.goto(`./share#scenario=${base64url(JSON.stringify({ ...happy, description }))}`);
  const loaded = page.getByRole('article', { name: 'Loaded scenario' });
  await expect(loaded).toContainText('From a link; 3 steps.');
  const before = await elements(page);
  expect(await loaded.locator('p').nth(1).innerText()).toBe(description);
  await expect(loaded.locator('img, script, svg')).toHaveCount(0);

  const file = page.getByLabel('Scenario file to load');
  const files: [string, string, string][] = [
    ['huge.json', ' '.repeat(1024 * 1024 + 1), 'The file is too large: 1048577 bytes'],
    ['shape.json', '{"name": 5, "steps": "none"}', 'is not a scenario Foldlab can run'],
    ['empty.json', '', 'is not a scenario Foldlab can run'],
  ];
  for (const [name, text, message] of files) {
    await file.setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await expect(page.getByRole('alert')).toContainText(message);
  }
  await expectNothingInjected(page, before);
  await page.screenshot({ path: screenshotPath('hostile-scenario'), fullPage: true });
  await views(page, 'Lab');
  await lab.expectEventCount(1);
  expect(problems.messages).toEqual([]);
});

test('a lab file that is too large, of the wrong shape or holds markup is refused before anything changes', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada', '1000');
  await lab.placeOrder('250');
  await lab.runToEnd();
  const types = await lab.eventTypes();
  expect(types).toHaveLength(4);

  await views(page, 'Share');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export lab file' }).click();
  const exported = readFileSync(await (await downloading).path(), 'utf8');
  const edited = (edit: (file: any) => void) => {
    const file = JSON.parse(exported);
    edit(file);
    return JSON.stringify(file);
  };
  const nameIs = (name: string) =>
    edited((file) => {
      const data = JSON.parse(file.events[0].event_data);
      data.name = name;
      file.events[0].event_data = JSON.stringify(data);
    });
  const before = await elements(page);

  const refusals: [string, string | Buffer, string][] = [
    ['huge.json', Buffer.alloc(20 * 1024 * 1024 + 1, ' '), 'The file is too large: 20971521 bytes, and the limit is 20971520 bytes (20 MB)'],
    ['deep-arrays.json', `{"format": "foldlab-lab", "events": ${'[{"x":'.repeat(20)}1${'}]'.repeat(20)}}`, 'nested too deeply'],
    ['array.json', '[]', 'it holds no JSON object at the top'],
    ['string.json', '"foldlab-lab"', 'it holds no JSON object at the top'],
    ['empty.json', '', 'The file is not valid JSON'],
    ['other.json', '{"format": "something-else"}', 'its `format` is "something-else"'],
    ['version.json', edited((f) => (f.format_version = 99)), 'it is version 99, and this Foldlab reads version 1'],
    ['shape.json', edited((f) => (f.events = 'all of them')), 'The file is not shaped like a lab export'],
    ['svg.json', nameIs(MARKUP[2]), 'the field events[0].event_data.name contains \u201c>\u201d'],
    ['rtl.json', nameIs(RTL_OVERRIDE), 'events[0].event_data.name contains a right-to-left or left-to-right control (U+202E)'],
    ['js.json', nameIs('javascript:window.__pwned=1'), 'events[0].event_data.name contains \u201cjavascript:\u201d'],
    [
      'key.json',
      edited((f) => (f.events[0].entity_id = '<img src=x onerror="window.__pwned=1">')),
      'the field events[0].entity_id contains \u201c<\u201d',
    ],
  ];
  const importer = page.getByLabel('Lab file to import');
  for (const [name, text, message] of refusals) {
    await importer.setInputFiles({ name, mimeType: 'application/json', buffer: typeof text === 'string' ? Buffer.from(text) : text });
    const alert = page.getByTestId('import-error');
    await expect(alert).toContainText(message);
    await expect(alert).toContainText('The current lab is untouched.');
    await expect(page.getByRole('group', { name: 'Confirm import' })).toHaveCount(0);
  }
  await expectNothingInjected(page, before);
  await page.screenshot({ path: screenshotPath('hostile-import'), fullPage: true });

  // The export itself still imports: what the forms accept, the import accepts.
  await importer.setInputFiles({ name: 'lab.json', mimeType: 'application/json', buffer: Buffer.from(exported) });
  await expect(page.getByRole('group', { name: 'Confirm import' })).toContainText('valid lab with 4 events');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await views(page, 'Lab');
  expect(await lab.eventTypes()).toEqual(types);
  expect(problems.messages).toEqual([]);
});

test('a lesson id, a step and a position in the address are shown as text or ignored', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await lab.createCustomer('Ada', '1000');
  await lab.placeOrder('100');
  await lab.runToEnd();
  const before = await elements(page);

  await page.goto(`./lessons/${encodeURIComponent(MARKUP[0])}`);
  const missing = page.locator('section').filter({ has: page.getByRole('heading', { name: 'No such lesson' }) });
  await expect(missing).toContainText(`Foldlab has no lesson \u201c${MARKUP[0]}\u201d.`);
  await expect(missing.locator('img, script, svg')).toHaveCount(0);

  for (const step of [MARKUP[1], '1e309', '-5', 'NaN']) {
    await page.goto(`./choreography?step=${encodeURIComponent(step)}`);
    // An unreadable step is the latest step, put back in the address.
    await expect(page).toHaveURL(/\/choreography\?step=\d+$/);
    await expect(page.getByTestId('step-sentence')).not.toBeEmpty();
  }
  for (const at of ['1e309', MARKUP[2], '0x10']) {
    await page.goto(`./time-travel?at=${encodeURIComponent(at)}`);
    await expect(page).toHaveURL(/\/time-travel\?at=\d+$/);
    await expect(page.getByTestId('position')).toHaveText(/^#\d+ of #4$/);
  }
  // The views differ in their own charts (svg); nothing else was added.
  expect({ ...(await elements(page)), svg: 0 }).toEqual({ ...before, svg: 0 });
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  // The deep links are answered by 404.html, as GitHub Pages does; nothing else is reported.
  expect(problems.messages).toEqual([]);
});
