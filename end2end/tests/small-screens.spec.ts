import { approvalAction, callApi, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForStage } from "./api";
import { expect, test } from "./console";

// A phone (390 px wide): the header folds behind a menu button and the run view's stages stack,
// with nothing wider than the screen. The pipeline is deleted afterwards.

const PIPELINE = "phone-run";

test.use({ viewport: { width: 390, height: 844 } });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

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
