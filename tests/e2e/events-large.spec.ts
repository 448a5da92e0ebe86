// The event table with 100,000 events in the lab's store: only a window of rows is rendered, and
// scrolling to the end shows the last event. The lab is seeded by the benchmark page (a log the
// engine made: customers, orders and their deliveries, with checkpoints and snapshots).
import { expect, test } from '@playwright/test';
import { screenshotPath, trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';
import { screenshotsAtThreeSizes } from './support/sizes';

test('the event tables stay small with 100,000 events: a window in the Events view, the newest rows in the lab', async ({ page }) => {
  test.setTimeout(600_000);
  const problems = trackConsoleErrors(page);
  await page.goto('./bench?seed-lab=100000');
  await expect(page.getByTestId('bench-seeded')).toHaveText(/The lab now holds \d+ events\./, { timeout: 540_000 });
  const seeded = Number((await page.getByTestId('bench-seeded').textContent())?.match(/\d+/)?.[0]);
  expect(seeded).toBeGreaterThanOrEqual(100_000);

  await page.goto('./events');
  await expect(page.getByTestId('shown')).toHaveText(`${seeded} events`, { timeout: 120_000 });
  const rows = page.getByRole('table', { name: 'Event store' }).locator('[role="row"][data-event-id]');
  const rendered = await rows.count();
  expect(rendered).toBeGreaterThan(0);
  expect(rendered).toBeLessThan(100);

  const table = page.getByRole('table', { name: 'Event store' });
  await expect(table.locator('[data-event-id="1"]')).toBeVisible();
  await expect(table.locator(`[data-event-id="${seeded}"]`)).toHaveCount(0);
  await page.getByTestId('inspector-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await expect(table.locator(`[data-event-id="${seeded}"]`)).toBeVisible();
  await expect(table.locator('[data-event-id="1"]')).toHaveCount(0);
  expect(await rows.count()).toBeLessThan(100);
  await page.screenshot({ path: screenshotPath('events-100k-end') });

  // The lab's own event table draws only the newest rows and says so; a command shows at once.
  const lab = new LabPage(page);
  await lab.open();
  await expect(page.getByTestId('event-table-note')).toHaveText(
    `Showing the newest 30 of ${seeded.toLocaleString('en-US')} events. The Events view has every event.`,
  );
  await expect(lab.eventRows).toHaveCount(30);
  await expect(page.getByTestId('customer-view-note')).toHaveText(/^Showing the documents of the newest 20 of [\d,]+ customers\.$/);
  await expect(lab.customerView.getByRole('article')).toHaveCount(20);
  await lab.createCustomer('Ada Lovelace', '500');
  await expect(lab.eventRows).toHaveCount(30);
  await expect(lab.eventRows.last()).toContainText('Ada Lovelace');
  await expect(lab.customerRows.last()).toContainText('Ada Lovelace');
  await expect(page.getByTestId('event-table-note')).toContainText(`of ${(seeded + 1).toLocaleString('en-US')} events`);
  await expect(page.getByTestId('customers-note')).toHaveText(
    /^Showing the newest 30 of [\d,]+ customers\. The Events view has every event\.$/,
  );
  await expect(page.getByTestId('orders-note')).toHaveText(/^Showing the newest 30 of [\d,]+ orders\./);
  await screenshotsAtThreeSizes(page, 'lab-100k');
  // On a phone the notes stand above the tables' sideways-scrolling boxes, whole in the window.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const note of ['customers-note', 'orders-note']) {
    const box = await page.getByTestId(note).boundingBox();
    expect(box, note).not.toBeNull();
    expect(box!.x + box!.width, `${note} ends inside a 390 px window`).toBeLessThanOrEqual(390);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(problems.messages).toEqual([]);
});
