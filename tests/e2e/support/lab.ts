// A page object for the lab screen: the actions a person takes, found by role and accessible name,
// so the specs read as the steps of a workshop.
import { expect, type Locator, type Page } from '@playwright/test';

/** The header's Settings menu (theme, Large text, where the events are kept, Reset lab), opened. */
export async function openSettings(page: Page): Promise<Locator> {
  const button = page.getByRole('button', { name: 'Settings', exact: true });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  return page.locator('#settings');
}

/** Closes the Settings menu (Escape, as a keyboard user would) if it is open. */
export async function closeSettings(page: Page) {
  const button = page.getByRole('button', { name: 'Settings', exact: true });
  if ((await button.getAttribute('aria-expanded')) === 'true') {
    await button.focus();
    await page.keyboard.press('Escape');
  }
  await expect(button).toHaveAttribute('aria-expanded', 'false');
}

/** Switches Large text on or off through the Settings menu, and closes the menu again. */
export async function toggleLargeText(page: Page) {
  const settings = await openSettings(page);
  await settings.getByRole('button', { name: 'Large text' }).click();
  await closeSettings(page);
  // Screenshots taken next should show the page, not the Settings button's focus ring.
  await page.getByRole('button', { name: 'Settings', exact: true }).blur();
}

/** The header's navigation: every view it links to, the "More views" menu's too. */
export function views(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Views' });
}

/** Goes to a view by its name in the header, opening "More views" when the view is in it. */
export async function goToView(page: Page, name: string) {
  const link = views(page).getByRole('link', { name, exact: true });
  if (!(await link.isVisible())) await openMoreViews(page);
  await link.click();
}

/** Opens the header's "More views" menu, so that every view's link is visible. */
export async function openMoreViews(page: Page) {
  const more = page.getByRole('button', { name: 'More views', exact: true });
  if ((await more.getAttribute('aria-expanded')) !== 'true') await more.click();
  await expect(more).toHaveAttribute('aria-expanded', 'true');
}

export class LabPage {
  constructor(readonly page: Page) {}

  /** Opens the lab and waits until the event store is open. */
  async open(backend: 'IndexedDB' | 'localStorage' = 'IndexedDB') {
    await this.page.goto('./lab');
    await expect(this.backend).toHaveText(`Events kept in ${backend}`);
    // The stage's panels follow the command forms (their code is fetched once the lab is ready).
    await expect(this.page.getByTestId('event-table')).toBeAttached();
  }

  get backend(): Locator {
    return this.page.getByTestId('backend');
  }

  get createForm(): Locator {
    return this.page.getByRole('form', { name: 'Create a customer' });
  }

  get orderForm(): Locator {
    return this.page.getByRole('form', { name: 'Place an order' });
  }

  get eventRows(): Locator {
    return this.page.getByTestId('event-table').locator('tbody tr');
  }

  get orderRows(): Locator {
    return this.page.getByTestId('orders').locator('tbody tr');
  }

  get customerRows(): Locator {
    return this.page.getByTestId('customers').locator('tbody tr');
  }

  /** Where the tables' row commands answer. */
  get tableFeedback(): Locator {
    return this.page.getByTestId('table-feedback');
  }

  /** The order ids in the orders table, top to bottom. */
  async orderIds(): Promise<string[]> {
    return this.orderRows.locator('td:first-child code').allTextContents();
  }

  /** Clicks a button in the tables by its accessible name and waits until the lab is idle again. */
  async rowCommand(name: string) {
    const feedback = this.tableFeedback;
    const before = Number(await feedback.getAttribute('data-answered'));
    const button = this.page.getByRole('button', { name, exact: true });
    const answers = !['Change the credit limit', 'Delete ', 'Keep', 'No'].some((n) => name.startsWith(n));
    await button.click();
    if (answers) await expect(feedback).toHaveAttribute('data-answered', String(before + 1));
  }

  get customerView(): Locator {
    return this.page.getByTestId('customer-view');
  }

  get viewLag(): Locator {
    return this.page.getByTestId('view-lag');
  }

  get steps(): Locator {
    return this.page.getByTestId('steps').locator('li');
  }

  async createCustomer(name: string, limit: string) {
    await this.createForm.getByLabel('Name').fill(name);
    await this.createForm.getByLabel('Credit limit ($)').fill(limit);
    await this.submit(this.createForm, 'Create customer');
  }

  async placeOrder(total: string) {
    await this.orderForm.getByLabel('Order total ($)').fill(total);
    await this.submit(this.orderForm, 'Place order');
  }

  /** Submits a form and waits until the lab has answered it (stored, or refused with a reason). */
  private async submit(form: Locator, button: string) {
    const before = Number(await form.getAttribute('data-answered'));
    await form.getByRole('button', { name: button }).click();
    await expect(form).toHaveAttribute('data-answered', String(before + 1));
  }

  /** Makes one delivery and waits until it is drawn at the top of the lanes (its checkpoint saved). */
  async step() {
    // The lanes show the newest steps first, each with its number.
    const before = (await this.steps.count()) === 0 ? 0 : Number(await this.steps.first().getAttribute('data-step'));
    await this.page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect(this.steps.first()).toHaveAttribute('data-step', String(before + 1));
  }

  async runToEnd() {
    await this.page.getByRole('button', { name: 'Run to end' }).click();
    await expect(this.page.getByTestId('waiting')).toHaveText(/No deliveries waiting/);
  }

  /** Opens the lab and takes one order through the choreography: Grace Hopper (limit $1,000.00)
   * and her $250.00 order, approved; four events, every delivery made. */
  async openWithApprovedOrder() {
    await this.open();
    await this.createCustomer('Grace Hopper', '1000');
    await this.placeOrder('250');
    await this.runToEnd();
  }

  /** The event_type column, top to bottom. */
  async eventTypes(): Promise<string[]> {
    return this.eventRows.locator('td:nth-child(4)').allTextContents();
  }

  async expectEventCount(n: number) {
    await expect(this.eventRows).toHaveCount(n);
  }
}
