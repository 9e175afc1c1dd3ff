import { test as base, expect, type Page } from "@playwright/test";

// Every spec's pages fail their test on a console error: a Rust panic in the wasm app (a failed
// hydration, an unwrap) logs one and freezes the page while the test waits for something else.

/** Collects a page's console errors and uncaught exceptions from now on. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/**
 * Takes out of `errors` the ones a test provokes on purpose (the browser logs every refused
 * request, say), asserting there was at least one; whatever else is there still fails the test.
 */
export function expectConsoleError(errors: string[], pattern: RegExp) {
  const provoked = errors.filter((error) => pattern.test(error));
  expect(provoked, `no console error matched ${pattern}`).not.toEqual([]);
  errors.splice(0, errors.length, ...errors.filter((error) => !pattern.test(error)));
}

/** Playwright's `test`, whose `page` fails the test on any console error (see `consoleErrors`). */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors = watchConsole(page);
      await use(errors);
      expect(errors, "console errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
