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

  async step() {
    await this.page.getByRole('button', { name: 'Step', exact: true }).click();
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
