// Collects what a page reports as broken (console errors and uncaught exceptions), so a spec can
// assert that the app ran cleanly: a Rust panic reaches the console through
// console_error_panic_hook, and a failed asset load is a console error too.
import type { Page } from '@playwright/test';
import { join } from 'node:path';

export type ConsoleProblems = { readonly messages: string[] };

const NOT_FOUND = 'the server responded with a status of 404';

/**
 * Starts recording console errors and uncaught exceptions of `page`; read `messages` at the end.
 *
 * One error is left out: GitHub Pages (and tests/e2e/support/pages-server.mjs) serves a deep
 * link or a reload on a client-side route as 404.html with status 404, and Chromium logs that
 * document's status as "Failed to load resource". That is the fallback working; a 404 for
 * anything else (a missing script, wasm or stylesheet) is still reported.
 */
export function trackConsoleErrors(page: Page): ConsoleProblems {
  const entries: { text: string; url: string }[] = [];
  const notFoundDocuments = new Set<string>();
  page.on('response', (response) => {
    if (response.status() === 404 && response.request().isNavigationRequest()) {
      notFoundDocuments.add(withoutFragment(response.url()));
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') {
      entries.push({ text: `console.error: ${message.text()}`, url: message.location().url });
    }
  });
  page.on('pageerror', (error) => entries.push({ text: `uncaught: ${error.message}`, url: '' }));
  return {
    // Filtered when read, so the order in which the response and console events arrive does
    // not matter.
    get messages() {
      return entries
        .filter((entry) => !(entry.text.includes(NOT_FOUND) && notFoundDocuments.has(withoutFragment(entry.url))))
        .map((entry) => entry.text);
    },
  };
}

/** A URL without its `#fragment`: a response's URL has none, a console message's may (a link
 * that carries a scenario in its fragment). */
function withoutFragment(url: string): string {
  return url.split('#')[0];
}

/** Where specs save screenshots (gitignored); one file per name, overwritten on each run. */
export function screenshotPath(name: string): string {
  return join(__dirname, '..', 'screenshots', `${name}.png`);
}
