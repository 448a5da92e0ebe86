// Page objects for the choreography and time-travel pages: the controls a person uses, found by
// role and accessible name.
import { expect, type Locator, type Page } from '@playwright/test';
import { goToView } from './lab';

export class ChoreographyPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Choreography' }).click();
    await expect(this.page.getByRole('heading', { name: 'Choreography, step by step' })).toBeVisible();
    await expect(this.forwardButton).toBeEnabled();
  }

  get forwardButton(): Locator {
    return this.page.getByRole('button', { name: 'Step forward' });
  }

  get backButton(): Locator {
    return this.page.getByRole('button', { name: 'Step back' });
  }

  get title(): Locator {
    return this.page.getByTestId('step-now').locator('.step-title');
  }

  get sentence(): Locator {
    return this.page.getByTestId('step-sentence');
  }

  get currentRow(): Locator {
    return this.page.getByTestId('lanes').locator('li[aria-current="step"]');
  }

  get then(): Locator {
    return this.page.getByTestId('then');
  }

  get timeline(): Locator {
    return this.page.getByRole('slider', { name: 'Timeline' });
  }

  /** Clicks Step forward and waits until the step number has moved on. */
  async forward() {
    const before = await this.title.textContent();
    await this.forwardButton.click();
    await expect(this.title).not.toHaveText(before ?? '');
    // A real delivery re-reads the store when it is done; the controls wait until then.
    await expect(this.forwardButton).toBeEnabled();
  }

  async back() {
    const before = await this.title.textContent();
    await this.backButton.click();
    await expect(this.title).not.toHaveText(before ?? '');
  }
}

export class TimeTravelPage {
  constructor(readonly page: Page) {}

  async open() {
    await goToView(this.page, 'Time travel');
    await expect(this.page.getByRole('heading', { name: 'Time travel' })).toBeVisible();
  }

  get slider(): Locator {
    return this.page.getByRole('slider', { name: 'Log position' });
  }

  get position(): Locator {
    return this.page.getByTestId('position');
  }

  view(testid: string): Locator {
    return this.page.getByTestId(testid);
  }
}
