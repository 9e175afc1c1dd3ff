import { type APIRequestContext, type Page } from "@playwright/test";
import { approvalAction, callApi, commandsAction, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForExecution, waitForStage } from "./api";
import { expect, test } from "./console";

// Four runs of one pipeline (rejected, failed, succeeded, waiting for approval) as the history,
// the pipeline list and the approval inbox show them. The pipeline is deleted afterwards
// (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "four-runs";
const BUCKET = "four-runs-src";

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

/** Source → Gate (a manual approval) → Deploy, which fails unless the source says "ok". */
function pipeline() {
  return {
    ...s3SourcePipeline(PIPELINE, BUCKET, [
      { name: "Gate", actions: [approvalAction("Release", "Ship it?")] },
      { name: "Deploy", actions: [commandsAction("Check", ["grep -q ok app.txt"])] },
    ]),
    variables: [{ name: "RELEASE", defaultValue: "none" }],
  };
}

/** Answers the approval the execution waits for, through the API. */
async function answer(request: APIRequestContext, executionId: string, status: "Approved" | "Rejected", summary: string) {
  await waitForStage(request, PIPELINE, "Gate", "InProgress");
  const state = await callApi(request, "GetPipelineState", { name: PIPELINE });
  const gate = state.stageStates.find((s: { stageName: string }) => s.stageName === "Gate");
  expect(gate.latestExecution.pipelineExecutionId).toBe(executionId);
  const token = gate.actionStates[0].latestExecution.token;
  await callApi(request, "PutApprovalResult", { pipelineName: PIPELINE, stageName: "Gate", actionName: "Release", token, result: { status, summary } });
}

async function start(request: APIRequestContext, release: string) {
  const started = await callApi(request, "StartPipelineExecution", { name: PIPELINE, variables: [{ name: "RELEASE", value: release }] });
  return started.pipelineExecutionId as string;
}

const runs: { id: string; version: string; outcome: string }[] = [];

test("four runs: rejected, failed, succeeded and one waiting", async ({ request, baseURL }) => {
  test.setTimeout(90_000);
  let version = await uploadSource(request, baseURL, BUCKET, sourceZip("ok"));
  await callApi(request, "CreatePipeline", { pipeline: pipeline() });
  const { pipelineExecutionSummaries: [first] } = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  await answer(request, first.pipelineExecutionId, "Rejected", "not this one");
  await waitForExecution(request, PIPELINE, first.pipelineExecutionId, "Failed");
  runs.push({ id: first.pipelineExecutionId, version, outcome: "Rejected" });

  version = await uploadSource(request, baseURL, BUCKET, sourceZip("bad"));
  let id = await start(request, "r2");
  await answer(request, id, "Approved", "go");
  await waitForExecution(request, PIPELINE, id, "Failed");
  runs.push({ id, version, outcome: "Failed" });

  version = await uploadSource(request, baseURL, BUCKET, sourceZip("ok"));
  id = await start(request, "r3");
  await answer(request, id, "Approved", "go");
  await waitForExecution(request, PIPELINE, id, "Succeeded");
  runs.push({ id, version, outcome: "Succeeded" });

  id = await start(request, "r4");
  await waitForStage(request, PIPELINE, "Gate", "InProgress");
  runs.push({ id, version, outcome: "InProgress" });
});

test("the history tells each outcome, its revision, stages and duration, and charts them", async ({ page, request }) => {
  // The waiting run has waited a while; its duration counts until now, not until it began waiting.
  await page.waitForTimeout(2_500);
  await page.setViewportSize({ width: 1440, height: 900 });
  await open(page, `/pipelines/${PIPELINE}/history`);
  const rows = page.getByTestId("history-row");
  await expect(rows).toHaveCount(4);
  for (const run of runs) {
    const row = page.locator(`[data-testid="history-row"][data-execution="${run.id}"]`);
    await expect(row).toHaveAttribute("data-outcome", run.outcome);
    await expect(row.getByTestId("history-revisions")).toHaveText(`Source: ${run.version}`);
  }
  const row = (outcome: string) => page.locator(`[data-testid="history-row"][data-outcome="${outcome}"]`);
  // A rejection reads as such, though the execution's status is Failed as on AWS.
  await expect(row("Rejected")).toHaveAttribute("data-status", "Failed");
  await expect(row("Rejected").locator(".pill")).toHaveText("Rejected");
  await expect(row("Failed").locator(".pill")).toHaveText("Failed");

  // One dot per stage it entered, coloured by the stage's status.
  const dots = (outcome: string) => row(outcome).getByTestId("stage-dot").evaluateAll((all) => all.map((d) => `${d.getAttribute("data-stage")}=${d.getAttribute("data-status")}`));
  expect(await dots("Failed")).toEqual(["Source=Succeeded", "Gate=Succeeded", "Deploy=Failed"]);
  expect(await dots("Rejected")).toEqual(["Source=Succeeded", "Gate=Failed"]);
  expect(await dots("InProgress")).toEqual(["Source=Succeeded", "Gate=InProgress"]);

  const listed = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  const waiting = listed.pipelineExecutionSummaries.find((e: { pipelineExecutionId: string }) => e.pipelineExecutionId === runs[3].id);
  const shownMs = Number(await row("InProgress").getByTestId("history-duration").getAttribute("data-ms"));
  // The page was rendered after the wait above; allow for clocks read a moment apart.
  expect(shownMs).toBeGreaterThanOrEqual(2_500);
  expect(shownMs).toBeLessThanOrEqual(Date.now() - waiting.startTime * 1000 + 1_000);

  // The chart: as wide as its card, a bar per run coloured by outcome, round duration ticks.
  const chart = page.getByTestId("history-chart");
  expect((await chart.boundingBox())!.width).toBeGreaterThan(1000);
  const outcomes = await chart.getByTestId("chart-bar").evaluateAll((bars) => bars.map((b) => [b.getAttribute("data-outcome"), getComputedStyle(b).backgroundColor]));
  expect(outcomes.map(([o]) => o)).toEqual(["Rejected", "Failed", "Succeeded", "InProgress"]);
  expect(new Set(outcomes.map(([, fill]) => fill)).size).toBe(4);
  const ticks = await chart.getByTestId("chart-y-tick").allTextContents();
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  expect(ticks[0]).toBe("0 s");
  await expect(page.getByTestId("chart-legend")).toContainText("Rejected");
  // A bar opens its run.
  await chart.getByTestId("chart-bar").first().click();
  await expect(page).toHaveURL(new RegExp(`execution=${runs[0].id}`));
});

test("the pipeline list shows the latest run, when, its revision and message", async ({ page }) => {
  await open(page, "/");
  const row = page.locator(`[data-testid="pipeline-row"][data-name="${PIPELINE}"]`);
  await expect(row.getByTestId("latest-run")).toHaveAttribute("data-status", "InProgress");
  await expect(row.getByTestId("latest-run")).toContainText("just now");
  await expect(row.getByTestId("latest-revision")).toContainText(runs[3].version);
  await expect(row.getByTestId("latest-message")).toHaveText(`s3://${BUCKET}/app.zip`);
  await row.getByTestId("latest-run").locator("a").click();
  await expect(page).toHaveURL(new RegExp(`execution=${runs[3].id}`));
});

/** The inbox item of the waiting run. */
const item = (page: Page) => page.locator(`[data-testid="approval-item"][data-execution="${runs[3].id}"]`);

test("the inbox shows the execution, and an item's address lands on it", async ({ page }) => {
  await open(page, "/approvals");
  await expect(item(page).getByTestId("approval-execution")).toContainText(runs[3].id.slice(0, 8));
  await expect(item(page).getByTestId("approval-started-by")).toHaveText("started by admin");
  await expect(item(page).getByTestId("approval-revisions")).toContainText(`Source=${runs[3].version}`);
  await expect(item(page).getByTestId("approval-variables")).toContainText("RELEASE=r4");

  // A short window and many items above it would hide the item; its address brings it in view.
  const href = await item(page).getByTestId("approval-permalink").getAttribute("href");
  await page.setViewportSize({ width: 390, height: 300 });
  await page.goto("/");
  await open(page, href!);
  await expect(item(page)).toBeInViewport();
  await expect(item(page)).toHaveAttribute("data-named", "true");
});
