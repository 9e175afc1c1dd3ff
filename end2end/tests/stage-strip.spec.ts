import { type Page } from "@playwright/test";
import { approvalAction, callApi, commandsAction, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForStage } from "./api";
import { expect, test } from "./console";

// A 12-stage pipeline on the run view: the stage strip fits the window at any width, the view
// scrolls to the approval that waits, the strip shows it when it is off-screen and a click goes
// there; long names are cut, never broken mid-word, and long values stay inside their cards; a
// rejection's comment shows once. The pipeline is deleted afterwards (pipelines.spec.ts expects
// a server without pipelines).

const PIPELINE = "twelve-stages";
const LONG_VALUE = "arn:aws:codepipeline:us-east-1:000000000000:a-pipeline-with-a-very-long-name/AndAStage/AndAnActionWithAVeryLongName";
const COMMENT = "not-before-the-freeze-ends";

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

/** Source, nine quick build stages with long names, a manual approval, a deploy stage. */
function twelveStages() {
  const builds = Array.from({ length: 9 }, (_, i) => ({
    name: `IntegrationTestsAgainstEnvironment${i + 1}`,
    actions: [commandsAction(`RunTheWholeSuiteNumber${i + 1}`, ["echo ok"])],
  }));
  return s3SourcePipeline(PIPELINE, "twelve-src", [
    ...builds,
    { name: "ReleaseGate", actions: [approvalAction("ApproveTheProductionRelease", LONG_VALUE)] },
    { name: "Deploy", actions: [commandsAction("Ship", ["echo shipped"])] },
  ]);
}

const strip = (page: Page) => page.getByTestId("stage-strip");
const gate = (page: Page) => page.locator('[data-testid="run-action"][data-action="ApproveTheProductionRelease"]');

/** Fails unless every name on the run view is on one line and no card is wider than its box. */
async function expectTidyCards(page: Page) {
  const problems = await page.evaluate(() => {
    const found: string[] = [];
    for (const name of document.querySelectorAll<HTMLElement>(".run-stage .stage-name, .run-action .action-name")) {
      if (name.getClientRects().length !== 1 || name.scrollHeight > 2 * parseFloat(getComputedStyle(name).lineHeight)) {
        found.push(`${name.textContent} wraps`);
      }
    }
    for (const card of document.querySelectorAll<HTMLElement>(".run-action, .run-facts")) {
      if (card.scrollWidth > card.clientWidth + 1) {
        const wide = [...card.querySelectorAll<HTMLElement>("*")].filter((el) => el.getBoundingClientRect().right > card.getBoundingClientRect().right + 1);
        found.push(`${card.getAttribute("data-action") ?? "facts"} overflows: ${wide.map((el) => `${el.tagName}.${el.className}`).join(" ")}`);
      }
    }
    return found;
  });
  expect(problems).toEqual([]);
}

test("the strip fits any width, shows the waiting approval and goes to it", async ({ page, request, baseURL }) => {
  test.setTimeout(90_000);
  await uploadSource(request, baseURL, "twelve-src", sourceZip());
  await callApi(request, "CreatePipeline", { pipeline: twelveStages() });
  await waitForStage(request, PIPELINE, "ReleaseGate", "InProgress");

  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await open(page, `/pipelines/${PIPELINE}`);
    // The view scrolls to the approval that waits.
    await expect(gate(page)).toBeInViewport();
    await gate(page).locator("details").evaluateAll((all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));

    // Twelve segments in one row inside the window.
    const segments = strip(page).getByTestId("strip-stage");
    await expect(segments).toHaveCount(12);
    const boxes = await segments.evaluateAll((all) => all.map((s) => s.getBoundingClientRect()).map((r) => [r.left, r.right, r.top]));
    expect(new Set(boxes.map(([, , top]) => Math.round(top))).size).toBe(1);
    for (const [left, right] of boxes) expect(left >= 0 && right <= width).toBe(true);
    const waiting = strip(page).locator('[data-waiting="true"]');
    await expect(waiting).toHaveAttribute("data-stage", "ReleaseGate");
    await expect(strip(page).locator('[data-stage="Source"]')).toHaveAttribute("data-status", "Succeeded");
    await expectTidyCards(page);

    // Back to the start of the page (and of the row of stages): the approval is out of sight,
    // the strip is not, and its segment goes to the approval.
    await page.evaluate(() => {
      window.scrollTo(0, 0);
      document.querySelector(".run-stages")!.scrollLeft = 0;
    });
    await expect(gate(page)).not.toBeInViewport();
    await expect(waiting).toBeInViewport();
    await waiting.click();
    await expect(gate(page)).toBeInViewport();
    // The strip stays at the top while the page is scrolled.
    await expect(waiting).toBeInViewport();
  }
});

test("a rejection's comment shows once", async ({ page, request }) => {
  await page.setViewportSize({ width: 1440, height: 800 });
  await open(page, `/pipelines/${PIPELINE}`);
  await gate(page).getByTestId("approval-comment").fill(COMMENT);
  await gate(page).getByTestId("reject").click();
  await gate(page).getByTestId("confirm-yes").click();
  await expect(gate(page)).toHaveAttribute("data-status", "Failed");
  await expect(page.getByTestId("approval-decision")).toContainText(COMMENT);
  await expect(page.getByTestId("failure-summary")).toContainText("Rejected by admin");
  expect(await page.getByTestId("run-panel").evaluate((panel, comment) => panel.textContent!.split(comment).length - 1, COMMENT)).toBe(1);
  await expect(strip(page).locator('[data-stage="ReleaseGate"]')).toHaveAttribute("data-status", "Failed");
  await waitForStage(request, PIPELINE, "ReleaseGate", "Failed");
});
