// A page object for the lab screen: the actions a person takes, found by role and accessible name,
// so the specs read as the steps of a workshop.
import { expect, type Locator, type Page } from '@playwright/test';

export class LabPage {
  constructor(readonly page: Page) {}

  /** Opens the lab and waits until the event store is open. */
  async open(backend: 'IndexedDB' | 'localStorage' = 'IndexedDB') {
    await this.page.goto('./');
    await expect(this.backend).toHaveText(`Events kept in ${backend}`);
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

  /** The event_type column, top to bottom. */
  async eventTypes(): Promise<string[]> {
    return this.eventRows.locator('td:nth-child(4)').allTextContents();
  }

  async expectEventCount(n: number) {
    await expect(this.eventRows).toHaveCount(n);
  }
}
