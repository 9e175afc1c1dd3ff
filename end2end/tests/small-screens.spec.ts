import { approvalAction, callApi, commandsAction, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForStage } from "./api";
import { expect, test } from "./console";
import { card } from "./editor-helpers";

// A phone (390 px wide): the header folds behind a menu button, the run view's stages stack, the
// editor's palette, canvas and form stack, the audit trail's records stack; nothing is wider than
// the screen. The pipelines are deleted afterwards.

const PIPELINE = "phone-run";
const EDITED = "phone-edit";

test.use({ viewport: { width: 390, height: 844 } });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
  await postApi(request, "DeletePipeline", { name: EDITED });
});

type Box = { x: number; y: number; width: number; height: number };
/** Whether two boxes share any area. */
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** How far the page is wider than the screen (0 when it fits). */
const overflow = (page: import("@playwright/test").Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test("the header collapses behind a menu button that opens and closes it", async ({ page }) => {
  await open(page, "/");
  const nav = page.locator("#main-nav");
  const menu = page.getByTestId("menu-button");
  await expect(menu).toBeVisible();
  await expect(nav).toBeHidden();
  await expect(page.getByTestId("signed-in-user")).toBeHidden();
  expect(await overflow(page)).toBe(0);

  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(nav).toBeVisible();
  await expect(page.getByTestId("signed-in-user")).toBeVisible();
  // Choosing a page closes the menu.
  await nav.getByRole("link", { name: "Approvals" }).click();
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(nav).toBeHidden();
  await expect(menu).toHaveAttribute("aria-expanded", "false");

  // A desktop has the links and no menu button.
  await page.setViewportSize({ width: 1440, height: 900 });
  await expect(nav).toBeVisible();
  await expect(menu).toBeHidden();
});

test("the run view's stages stack on a phone, nothing wider than the screen", async ({ page, request, baseURL }) => {
  await uploadSource(request, baseURL, "phone-src", sourceZip());
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "phone-src", [
      { name: "Gate", actions: [approvalAction("ReleaseToProductionAfterTheLongestReview", "Ship?")] },
    ]),
  });
  // Opened once the run waits, not while it changes under the page's hydration.
  await waitForStage(request, PIPELINE, "Gate", "InProgress");
  await open(page, `/pipelines/${PIPELINE}`);
  const stages = page.getByTestId("run-stage");
  await expect(stages).toHaveCount(2);
  await expect(page.locator('[data-testid="run-action"][data-action^="ReleaseToProduction"]')).toHaveAttribute("data-status", "InProgress", { timeout: 20_000 });
  const [source, gate] = [(await stages.nth(0).boundingBox())!, (await stages.nth(1).boundingBox())!];
  // One under the other, each the width of the screen's content.
  expect(gate.y).toBeGreaterThanOrEqual(source.y + source.height);
  expect(Math.abs(gate.x - source.x)).toBeLessThan(1);
  expect(source.width).toBeGreaterThan(300);
  expect(await overflow(page)).toBe(0);
  // The waiting approval is what the view scrolled to.
  await expect(page.getByTestId("approval-form")).toBeInViewport();
});

test("the editor's palette, canvas and form stack on a phone without overlapping", async ({ page, request }) => {
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(EDITED, "phone-edit-src", [{ name: "Build", actions: [commandsAction("Compile", ["make"])] }]),
  });
  await open(page, `/pipelines/${EDITED}/edit`);
  // Selected, the action's form (the widest the panel shows) fills the panel.
  await card(page, "Compile").click();
  await expect(page.getByTestId("side-panel").getByTestId("field-commands")).toBeVisible();
  const parts = [page.getByTestId("palette"), page.locator(".canvas-card"), page.getByTestId("side-panel")];
  const boxes = await Promise.all(parts.map(async (part) => (await part.boundingBox())!));
  for (const [i, a] of boxes.entries()) {
    expect(a.x).toBeGreaterThanOrEqual(0);
    expect(a.x + a.width).toBeLessThanOrEqual(390);
    for (const b of boxes.slice(i + 1)) expect(overlap(a, b), JSON.stringify([a, b])).toBe(false);
  }
  // Palette, then canvas, then form, down the page.
  expect(boxes[1].y).toBeGreaterThan(boxes[0].y);
  expect(boxes[2].y).toBeGreaterThan(boxes[1].y);
  expect(await overflow(page)).toBe(0);

  // A desktop keeps the three side by side.
  await page.setViewportSize({ width: 1440, height: 900 });
  const [palette, canvas, panel] = await Promise.all(parts.map(async (part) => (await part.boundingBox())!));
  expect(canvas.x).toBeGreaterThanOrEqual(palette.x + palette.width);
  expect(panel.x).toBeGreaterThanOrEqual(canvas.x + canvas.width);
});

test("the audit trail's records stack into labelled lines on a phone", async ({ page }) => {
  await open(page, "/audit");
  const rows = page.getByTestId("audit-row");
  await expect(rows.first()).toBeVisible();
  expect(await overflow(page)).toBe(0);
  // Neither the page nor the table scrolls sideways.
  const table = page.getByTestId("audit-table");
  expect(await table.evaluate((el) => el.parentElement!.scrollWidth - el.parentElement!.clientWidth)).toBe(0);
  const user = rows.first().getByTestId("audit-user");
  const operation = rows.first().getByTestId("audit-operation");
  // One line each, labelled.
  expect((await operation.boundingBox())!.y).toBeGreaterThanOrEqual((await user.boundingBox())!.y + 10);
  expect(await user.evaluate((el) => getComputedStyle(el, "::before").content)).toBe('"User"');
  await expect(page.locator('[data-testid="audit-table"] thead')).toBeHidden();
});
