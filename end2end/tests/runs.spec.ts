import { type Page } from "@playwright/test";
import { expect, test } from "./console";
import { approvalAction, callApi, commandsAction, s3SourcePipeline, sourceZip, uploadSource } from "./api";

// The live execution view and the approval inbox, against a real server: a run started from the
// page changes colour and streams its log without a reload, and an approval answered in the inbox
// lets the run finish. Named to run after pipelines.spec.ts (file order), whose first test needs
// an empty server.

const PIPELINE = "live-run";

/** Source (S3) → Build (a Commands action that logs slowly) → Approve → Deploy. */
function livePipeline() {
  return s3SourcePipeline(PIPELINE, "live-src", [
    { name: "Build", actions: [commandsAction("Compile", ["echo compiling-step-one", "sleep 2", "echo compiling-step-two", "sleep 1"])] },
    { name: "Approve", actions: [approvalAction("Release", "Ship it?")] },
    { name: "Deploy", actions: [commandsAction("Ship", ["echo shipped"])] },
  ]);
}

async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  // Survives only as long as the page is not reloaded.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
}

async function notReloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
}

const stage = (page: Page, name: string) => page.locator(`[data-testid="run-stage"][data-stage="${name}"]`);

test.describe.configure({ mode: "serial" });

let startedExecution = "";

test("a run started from the page changes colour live and streams its log", async ({ page, request, baseURL }) => {
  // Created before its source exists, so the automatic first run fails at once and blocks nothing.
  await callApi(request, "CreatePipeline", { pipeline: livePipeline() });
  await uploadSource(request, baseURL, "live-src", sourceZip());

  const stream = page.waitForRequest((r) => r.url().endsWith(`/api/v1/pipelines/${PIPELINE}/events`));
  await open(page, `/pipelines/${PIPELINE}`);
  await stream;
  await expect(page.getByTestId("run-status")).toHaveText("Failed");
  await page.getByTestId("start-run").click();
  await expect(page).toHaveURL(/\?execution=/);
  startedExecution = new URL(page.url()).searchParams.get("execution") ?? "";
  await expect(page.getByTestId("run-id")).toHaveText(startedExecution);

  await expect(stage(page, "Build")).toHaveAttribute("data-status", "InProgress");
  await expect(stage(page, "Build")).toHaveClass(/status-inprogress/);
  const log = page.locator('[data-action="Compile"]').getByTestId("action-log");
  await expect(log).toContainText("compiling-step-one");
  // The second line is printed two seconds later, while the action still runs.
  await expect(stage(page, "Build")).toHaveAttribute("data-status", "InProgress");
  await expect(log).toContainText("compiling-step-two");
  await expect(stage(page, "Build")).toHaveAttribute("data-status", "Succeeded");
  await expect(stage(page, "Approve")).toHaveAttribute("data-status", "InProgress");
  await expect(page.locator('[data-action="Release"]').getByTestId("approval-form")).toBeVisible();
  await notReloaded(page);
});

test("an approval answered in the inbox lets the run continue", async ({ page }) => {
  await open(page, "/approvals");
  await expect(page.getByTestId("approval-count")).toHaveText("1");
  const item = page.locator(`[data-testid="approval-item"][data-execution="${startedExecution}"]`);
  await expect(item).toContainText("Ship it?");
  await item.getByTestId("approval-comment").fill("looks good");
  await item.getByTestId("approve").click();
  await expect(page.getByTestId("no-approvals")).toBeVisible();
  await expect(page.getByTestId("approval-count")).toHaveCount(0);
  await notReloaded(page);

  await open(page, `/pipelines/${PIPELINE}?execution=${startedExecution}`);
  await expect(stage(page, "Approve")).toHaveAttribute("data-status", "Succeeded");
  // The comment shows once, in the answers (the action's summary repeats it, so it is not shown).
  await expect(page.locator('[data-action="Release"]').getByTestId("approval-decision")).toContainText("looks good");
  await expect(page.locator('[data-action="Release"]').getByTestId("action-summary")).toHaveCount(0);
  await expect(page.getByTestId("run-status")).toHaveText("Succeeded");
  await expect(stage(page, "Deploy")).toHaveAttribute("data-status", "Succeeded");
});

test("an approval rejected inline on the run page fails the run and offers a retry", async ({ page }) => {
  await open(page, `/pipelines/${PIPELINE}`);
  await page.getByTestId("start-run").click();
  await expect(page).toHaveURL(/\?execution=/);
  await expect(stage(page, "Approve")).toHaveAttribute("data-status", "InProgress", { timeout: 20_000 });
  // Rejecting asks first; Cancel leaves the approval waiting.
  await page.getByTestId("reject").click();
  await expect(page.getByTestId("confirm")).toContainText("The stage fails");
  await page.getByTestId("confirm-no").click();
  await expect(page.getByTestId("confirm")).toHaveCount(0);
  await expect(stage(page, "Approve")).toHaveAttribute("data-status", "InProgress");
  await page.getByTestId("reject").click();
  await page.getByTestId("confirm-yes").click();
  await expect(stage(page, "Approve")).toHaveAttribute("data-status", "Failed");
  await expect(page.getByTestId("run-status")).toHaveText("Failed");
  await expect(stage(page, "Approve").getByTestId("retry-failed")).toBeVisible();
  await notReloaded(page);
});

test("the history filters runs and compares two of them", async ({ page }) => {
  // By now: the automatic first run (failed, no source), the approved run and the rejected run.
  await open(page, `/pipelines/${PIPELINE}`);
  await page.getByTestId("history-link").click();
  await expect(page).toHaveURL(new RegExp(`/pipelines/${PIPELINE}/history$`));
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId("history-chart").getByTestId("chart-bar")).toHaveCount(3);

  await page.getByTestId("filter-status").selectOption("Failed");
  await page.getByTestId("filter-apply").click();
  await expect(page).toHaveURL(/status=Failed/);
  await expect(rows).toHaveCount(2);
  for (const status of await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-status")))) {
    expect(status).toBe("Failed");
  }
  await page.getByTestId("filter-trigger").selectOption("CreatePipeline");
  await page.getByTestId("filter-apply").click();
  await expect(rows).toHaveCount(1);

  await page.goto(`/pipelines/${PIPELINE}/history?text=${startedExecution.slice(0, 13)}`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-execution", startedExecution);
  await page.goto(`/pipelines/${PIPELINE}/history?to=2001-01-01`);
  await expect(page.getByTestId("history-empty")).toBeVisible();

  // Compare: A is the second newest (approved), B the newest (rejected).
  await page.goto(`/pipelines/${PIPELINE}/history`);
  await page.getByTestId("compare-button").click();
  await expect(page).toHaveURL(/\/compare\?(?=.*a=)(?=.*b=)/);
  const release = page.locator('[data-testid="compare-row"][data-label="Approve / Release"]');
  await expect(release.locator("td").nth(0)).toContainText("Succeeded");
  await expect(release.locator("td").nth(1)).toContainText("Failed");
  await expect(release).toHaveClass(/differs/);
  await expect(page.locator('[data-testid="compare-row"][data-label="Execution"] td').nth(0)).toHaveText(startedExecution);
});
