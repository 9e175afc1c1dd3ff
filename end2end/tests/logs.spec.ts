import { type Page } from "@playwright/test";
import { callApi, commandsAction, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForExecution } from "./api";
import { expect, test } from "./console";

// An action's whole log on a page of its own: reached from the run view, as wide and tall as the
// window, numbered lines in the order they were written, a search, the raw text and a download,
// and following a running action to its last line. The pipeline is deleted afterwards
// (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "log-view";
const COUNT = 60;

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

/** The numbers and texts of the lines the log view shows, top to bottom. */
async function shownLines(page: Page) {
  return page.getByTestId("log-line").evaluateAll((rows) =>
    rows.map((row) => [Number(row.getAttribute("data-line")), row.querySelector(".log-text")?.textContent ?? ""] as const),
  );
}

/** The log line whose whole text is `text` (the command that printed it is a line too). */
const line = (page: Page, text: string) => page.getByTestId("log-line").filter({ has: page.locator(".log-text", { hasText: new RegExp(`^${text}$`) }) });

let executionId = "";

test("a finished action's log fills the window, in order, searchable and downloadable", async ({ page, request, baseURL }) => {
  await uploadSource(request, baseURL, "log-view-src", sourceZip());
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "log-view-src", [
      { name: "Build", actions: [commandsAction("Compile", [`for i in $(seq 1 ${COUNT}); do echo step-$i; done`, "echo needle-in-the-log >&2"])] },
    ]),
  });
  const { pipelineExecutionSummaries: [first] } = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  executionId = first.pipelineExecutionId;
  await waitForExecution(request, PIPELINE, executionId, "Succeeded");

  await page.setViewportSize({ width: 1440, height: 900 });
  await open(page, `/pipelines/${PIPELINE}?execution=${executionId}`);
  const compile = page.locator('[data-testid="run-action"][data-action="Compile"]');
  await compile.getByTestId("full-log").click();
  await expect(page).toHaveURL(new RegExp(`/pipelines/${PIPELINE}/executions/${executionId}/logs/`));
  await expect(page.getByTestId("log-title")).toHaveText("Build \u203a Compile");
  await expect(page.getByTestId("log-status")).toHaveText("Succeeded");

  // Every line, numbered from 1 without a gap, in the order written.
  const view = page.getByTestId("log-view");
  await expect(line(page, "needle-in-the-log")).toHaveCount(1);
  const lines = await shownLines(page);
  expect(lines.map(([n]) => n)).toEqual(lines.map((_, i) => i + 1));
  const steps = lines.map(([, text]) => text).filter((text) => text.startsWith("step-"));
  expect(steps).toEqual(Array.from({ length: COUNT }, (_, i) => `step-${i + 1}`));
  await expect(page.getByTestId("log-count")).toHaveText(`${lines.length} lines`);

  // The window's width (less the page's padding) and most of its height.
  const box = (await view.boundingBox())!;
  expect(box.width).toBeGreaterThan(1440 - 80);
  expect(box.height).toBeGreaterThan(900 - 300);

  // A search keeps the matching lines (the command and its output) with their own numbers;
  // clearing it brings all back.
  await page.getByTestId("log-search").fill("NEEDLE");
  const matching = lines.filter(([, text]) => text.includes("needle")).map(([n]) => String(n));
  expect(matching).toHaveLength(2);
  await expect(page.getByTestId("log-line")).toHaveCount(2);
  expect(await page.getByTestId("log-line").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-line")))).toEqual(matching);
  await expect(page.getByTestId("log-count")).toHaveText(`2 of ${lines.length} lines match`);
  await page.getByTestId("log-search").fill("");
  await expect(page.getByTestId("log-line")).toHaveCount(lines.length);

  // The raw text and the download are the same lines.
  const expected = lines.map(([, text]) => `${text}\n`).join("");
  const raw = await page.request.get((await page.getByTestId("log-raw").getAttribute("href"))!);
  expect(raw.headers()["content-type"]).toBe("text/plain; charset=utf-8");
  expect(await raw.text()).toBe(expected);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("log-download").click()]);
  expect(download.suggestedFilename()).toMatch(/\.log$/);
  const { readFileSync } = await import("node:fs");
  expect(readFileSync((await download.path())!, "utf8")).toBe(expected);

  // Back to the action on the run view.
  await page.getByTestId("log-back").click();
  await expect(compile).toBeInViewport();
});

test("a running action's log follows its new lines to the end", async ({ page, request }) => {
  // The sleep is long enough that a loaded machine still opens the log page while it runs.
  await callApi(request, "UpdatePipeline", {
    pipeline: {
      ...s3SourcePipeline(PIPELINE, "log-view-src", [
        { name: "Build", actions: [commandsAction("Compile", ["echo started", "sleep 8", `for i in $(seq 1 ${COUNT}); do echo late-$i; done`])] },
      ]),
      version: 1,
    },
  });
  const { pipelineExecutionId } = await callApi(request, "StartPipelineExecution", { name: PIPELINE });
  await page.setViewportSize({ width: 1440, height: 600 });
  await open(page, `/pipelines/${PIPELINE}?execution=${pipelineExecutionId}`);
  const compile = page.locator('[data-testid="run-action"][data-action="Compile"]');
  await expect(compile).toHaveAttribute("data-status", "InProgress");
  await compile.getByTestId("full-log").click();
  await expect(page.getByTestId("log-status")).toHaveText("InProgress");
  await expect(page.getByTestId("log-follow")).toBeChecked();
  await expect(line(page, "started")).toHaveCount(1);

  // The late lines arrive without a reload, the view stays at the newest, and the status follows.
  const last = line(page, `late-${COUNT}`);
  await expect(last).toBeInViewport({ timeout: 20_000 });
  await expect(page.getByTestId("log-status")).toHaveText("Succeeded", { timeout: 20_000 });
  const atEnd = await page.getByTestId("log-view").evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 4);
  expect(atEnd).toBe(true);
  await waitForExecution(request, PIPELINE, pipelineExecutionId, "Succeeded");
});
