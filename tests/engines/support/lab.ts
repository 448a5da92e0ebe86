// The lab as a person uses it, for the Firefox and WebKit pass: elements found by their role and
// accessible name or label, written as XPath because WebDriver has no role locator. The same
// steps as tests/e2e/support/lab.ts, which Playwright drives in Chromium.
import { expect } from '@playwright/test';

/** An XPath string literal for any text (XPath 1 has no escape for quotes). */
function literal(text: string): string {
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  return `concat(${text.split('"').map((part) => `"${part}"`).join(`, '"', `)})`;
}

/** A button whose accessible name (its text or aria-label) is `name`. */
export function button(name: string): string {
  const n = literal(name);
  return `//button[normalize-space(.)=${n} or @aria-label=${n}]`;
}

/** A link whose text is `name`, inside `within` (an XPath) when given. */
export function link(name: string, within = ''): string {
  return `${within}//a[normalize-space(.)=${literal(name)}]`;
}

/** The input or select a <label> wraps or points at, found by the label's text. */
export function field(label: string, within = ''): string {
  const l = literal(label);
  return `${within}//label[contains(normalize-space(.), ${l})]//*[self::input or self::select or self::textarea]`;
}

/** A form by its accessible name (aria-label or aria-labelledby's text). */
export function form(name: string): string {
  const n = literal(name);
  return `//form[@aria-label=${n} or @aria-labelledby=//*[normalize-space(.)=${n}]/@id]`;
}

/** An element by its data-testid. */
export function testId(id: string): string {
  return `//*[@data-testid=${literal(id)}]`;
}

export class Lab {
  constructor(
    readonly session: WebdriverIO.Browser,
    readonly base: string,
  ) {}

  /** Goes to a path under /foldlab/ and waits until the lab has read its log. */
  async open(path = 'lab') {
    await this.session.url(new URL(path, this.base).href);
    await this.ready();
  }

  /** Reloads the page and waits until the lab has read its log again. */
  async reload() {
    await this.session.refresh();
    await this.ready();
  }

  async ready() {
    await this.session.$('html[data-lab="ready"]').waitForExist({ timeout: 30_000 });
  }

  $(xpath: string) {
    return this.session.$(xpath);
  }

  /**
   * Waits for the view's heading. When none comes, the failure says what the page showed instead
   * (the main area's text, whether a service worker answered, which of the app's files had
   * arrived), for an engine's failure that is seen once in many runs.
   */
  async expectHeading(what: string) {
    try {
      await expect.poll(() => this.text('//main//h2'), { message: `${what}: a heading` }).not.toBe('');
    } catch (error) {
      const seen: string = await this.session.execute(() =>
        JSON.stringify({
          address: location.pathname,
          lab: document.documentElement.dataset.lab,
          main: document.querySelector('main')?.textContent?.trim().slice(0, 300) ?? null,
          worker: navigator.serviceWorker?.controller?.state ?? 'none',
          files: performance
            .getEntriesByType('resource')
            .map((e) => e.name.split('/').pop())
            .filter((name) => /\.(wasm|js)$/.test(name ?? '')),
        }),
      );
      throw new Error(`${(error as Error).message}\nThe page showed instead: ${seen}`);
    }
  }

  /** The text of the first element at `xpath`, or '' while there is none. */
  async text(xpath: string): Promise<string> {
    const element = await this.session.$(xpath);
    return (await element.isExisting()) ? (await element.getText()).trim() : '';
  }

  async count(xpath: string): Promise<number> {
    return (await this.session.$$(xpath)).length;
  }

  async click(xpath: string) {
    const element = await this.session.$(xpath);
    await element.waitForClickable();
    await element.click();
  }

  async fill(xpath: string, value: string) {
    const element = await this.session.$(xpath);
    await element.waitForDisplayed();
    await element.clearValue();
    await element.setValue(value);
  }

  /** Where the events are kept, as the header says it (for example "Events kept in IndexedDB"). */
  backend(): Promise<string> {
    return this.session.execute(() => document.querySelector('[data-testid="backend"]')?.textContent?.trim() ?? '');
  }

  async expectBackend(name: 'IndexedDB' | 'localStorage') {
    await expect.poll(() => this.backend()).toBe(`Events kept in ${name}`);
  }

  /** The event_type column of the event table, top to bottom. */
  async eventTypes(): Promise<string[]> {
    const cells = await this.session.$$(`${testId('event-table')}//tbody/tr/td[4]`);
    // WebdriverIO's element arrays map asynchronously: the result is already a promise.
    return cells.map(async (cell) => (await cell.getText()).trim());
  }

  async expectEventTypes(types: string[]) {
    await expect.poll(() => this.eventTypes()).toEqual(types);
  }

  /** Submits a form by its button and waits until the lab has answered it. */
  private async submit(name: string, buttonName: string) {
    const element = await this.session.$(form(name));
    const before = Number(await element.getAttribute('data-answered'));
    await this.click(`${form(name)}${button(buttonName)}`);
    await expect.poll(async () => Number(await element.getAttribute('data-answered'))).toBe(before + 1);
  }

  async createCustomer(name: string, limit: string) {
    await this.fill(field('Name', form('Create a customer')), name);
    await this.fill(field('Credit limit ($)', form('Create a customer')), limit);
    await this.submit('Create a customer', 'Create customer');
  }

  async placeOrder(total: string) {
    await this.fill(field('Order total ($)', form('Place an order')), total);
    await this.submit('Place an order', 'Place order');
  }

  async runToEnd() {
    await this.click(button('Run to end'));
    await expect.poll(() => this.text(testId('waiting'))).toContain('No deliveries waiting');
  }

  /** Goes to a view by its name in the header's navigation, opening "More views" if needed. */
  async goToView(name: string) {
    const nav = `//nav[@aria-label="Views"]`;
    const target = await this.session.$(link(name, nav));
    if (!(await target.isDisplayed())) await this.click(button('More views'));
    await this.click(link(name, nav));
  }

  /** Opens the Settings menu. */
  async openSettings() {
    const settings = await this.session.$(button('Settings'));
    if ((await settings.getAttribute('aria-expanded')) !== 'true') await settings.click();
    await expect.poll(() => settings.getAttribute('aria-expanded')).toBe('true');
  }

  /** Whether Large text is on (the page's `<html data-text="large">`). */
  async largeText(): Promise<boolean> {
    return (await this.session.$('html').getAttribute('data-text')) === 'large';
  }

  /** Switches Large text on or off through the Settings menu (a setting the lab keeps). */
  async toggleLargeText() {
    const before = await this.largeText();
    await this.openSettings();
    await this.click(button('Large text'));
    await expect.poll(() => this.largeText()).toBe(!before);
  }

  /** Resets the lab through the Settings menu, as a teacher does. */
  async reset() {
    await this.openSettings();
    await this.click(button('Reset lab…'));
    await this.click(button('Yes, delete everything'));
    await this.session.$(button('Reset lab…')).waitForEnabled();
  }
}
