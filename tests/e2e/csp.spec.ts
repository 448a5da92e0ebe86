// The shipped page's Content-Security-Policy (written into index.html by `cargo xtask build`):
// present, strict, and enforced by the browser. Every other spec runs under it too, and fails on
// the console error a violation causes.
import { expect, test } from '@playwright/test';
import { trackConsoleErrors } from './support/console';
import { LabPage } from './support/lab';

test('the page carries a strict Content-Security-Policy', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  const metas = page.locator('meta[http-equiv="Content-Security-Policy"]');
  await expect(metas).toHaveCount(1);
  const policy = (await metas.getAttribute('content')) ?? '';
  const directives = Object.fromEntries(
    policy.split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
  expect(directives['default-src']).toEqual(["'none'"]);
  // Our own scripts, wasm compilation, and Trunk's inline loader by its hash: nothing inline else.
  expect(directives['script-src'].slice(0, 2)).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(directives['script-src'].slice(2)).toHaveLength(1);
  expect(directives['script-src'][2]).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
  expect(directives['style-src']).toEqual(["'self'"]);
  expect(directives['connect-src']).toEqual(["'self'"]);
  // The empty favicon, and the web app manifest's icons.
  expect(directives['img-src']).toEqual(["'self'", 'data:']);
  // The service worker and the web app manifest (offline after one visit), from the site only.
  expect(directives['worker-src']).toEqual(["'self'"]);
  expect(directives['manifest-src']).toEqual(["'self'"]);
  expect(directives['base-uri']).toEqual(["'self'"]);
  expect(directives['form-action']).toEqual(["'none'"]);
  expect(policy).not.toContain('unsafe-inline');
  expect(policy).not.toContain("'unsafe-eval'");
  // The policy comes before everything it governs.
  const first = await page.evaluate(() => document.head.firstElementChild?.nextElementSibling?.getAttribute('http-equiv'));
  expect(first).toBe('Content-Security-Policy');
  // The app started under it (the lab is usable) without a single violation.
  await lab.createCustomer('Ada', '100');
  await expect(lab.createForm.getByRole('status')).toContainText('Stored CustomerCreated #1');
  expect(problems.messages).toEqual([]);
});

test('script, event handlers, eval and style attributes injected into the page do not run', async ({ page }) => {
  const problems = trackConsoleErrors(page);
  const lab = new LabPage(page);
  await lab.open();
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
  });

  const outcome = await page.evaluate(async () => {
    const host = document.createElement('div');
    host.id = 'injected';
    document.body.append(host);
    // An inline script, as an XSS that reaches the DOM would add it.
    const script = document.createElement('script');
    script.textContent = 'window.__pwned = "script";';
    host.append(script);
    // Markup with an inline event handler, through innerHTML.
    host.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__pwned = \'onerror\'">');
    host.insertAdjacentHTML('beforeend', '<svg><animate onbegin="window.__pwned = \'svg\'" attributeName="x" dur="1s"/></svg>');
    // A javascript: URL clicked.
    const link = document.createElement('a');
    link.href = 'javascript:window.__pwned = "href"';
    host.append(link);
    link.click();
    // A style attribute.
    const styled = document.createElement('p');
    styled.setAttribute('style', 'color: rgb(255, 0, 0)');
    host.append(styled);
    // Code from a string, when the page (not this test's evaluation) runs it: on a click.
    const probe = document.createElement('button');
    probe.id = 'eval-probe';
    probe.textContent = 'probe';
    probe.addEventListener('click', () => {
      try {
        new Function('window.__pwned = "eval"')();
        probe.dataset.outcome = 'ran';
      } catch (e) {
        probe.dataset.outcome = (e as Error).name;
      }
    });
    host.append(probe);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { colour: getComputedStyle(styled).color };
  });
  await page.locator('#eval-probe').click();
  await expect(page.locator('#eval-probe')).toHaveAttribute('data-outcome', 'EvalError');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  expect(outcome.colour).not.toBe('rgb(255, 0, 0)');
  await expect
    .poll(async () => new Set(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)))
    .toEqual(new Set(['script-src-elem', 'script-src-attr', 'style-src-attr', 'script-src']));
  // Each refusal is reported on the console, and nothing else is.
  expect(problems.messages.length).toBeGreaterThanOrEqual(4);
  for (const message of problems.messages) expect(message).toContain('Content Security Policy');
  // The lab still works.
  await lab.createCustomer('Grace', '100');
  await expect(lab.createForm.getByRole('status')).toContainText('Stored CustomerCreated #1');
});
