import { expect, type Locator, type Page } from "@playwright/test";

// What the editor's specs share: filling the side panel, finding stages and cards.

/** Fields commit on change (blur), as a person tabbing through the form does. */
export async function setField(page: Page, field: string, value: string) {
  const input = page.getByTestId("side-panel").getByTestId(`field-${field}`);
  if ((await input.evaluate((el) => el.tagName)) === "SELECT") {
    await input.selectOption(value);
  } else {
    await input.fill(value);
    await input.press("Tab");
  }
}

export async function rename(target: Locator, name: string) {
  await target.fill(name);
  await target.press("Tab");
}

export function paletteItem(page: Page, category: string, provider: string) {
  return page.locator(`[data-testid="palette-item"][data-category="${category}"][data-provider="${provider}"]`);
}

/** The stage names on the canvas, left to right. */
export async function expectStages(page: Page, names: string[]) {
  await expect
    .poll(() => page.getByTestId("stage").evaluateAll((els) => els.map((el) => el.getAttribute("data-stage"))))
    .toEqual(names);
}

export const stage = (page: Page, name: string) => page.locator(`[data-testid="stage"][data-stage="${name}"]`);
export const card = (page: Page, name: string) => page.locator(`[data-testid="action-card"][data-action="${name}"]`);
