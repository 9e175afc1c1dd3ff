import { callApi, commandsAction, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForExecution } from "./api";
import { expect, test } from "./console";

// A failed run says what failed at the top of the run view (where, why, the last lines of the
// log, a link down to the action), and the page scrolls to the failed action. The pipeline is
// deleted afterwards (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "failing-tests";

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

test("a failed run's summary names the action, shows its log's end and scrolls to it", async ({ page, request, baseURL }) => {
  await uploadSource(request, baseURL, "failing-src", sourceZip());
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "failing-src", [
      { name: "Build", actions: [
        commandsAction("Compile", ["echo compiled"]),
        { ...commandsAction("UnitTests", ["echo running 3 tests", "echo 'assertion failed: 2 == 3' >&2; exit 1"]), runOrder: 2 },
      ] },
      { name: "Deploy", actions: [commandsAction("Ship", ["echo shipped"])] },
    ]),
  });
  const { pipelineExecutionSummaries: [first] } = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  await waitForExecution(request, PIPELINE, first.pipelineExecutionId, "Failed");

  // A phone's screen, where the stages stack and the failed action starts below the fold.
  await page.setViewportSize({ width: 390, height: 700 });
  await open(page, `/pipelines/${PIPELINE}`);
  const summary = page.getByTestId("failure-summary");
  await expect(summary.locator("h3")).toHaveText(
    "Failed at Build \u203a UnitTests: Command 'echo 'assertion failed: 2 == 3' >&2; exit 1' exited with status 1",
  );
  await expect(summary.getByTestId("failure-log")).toContainText("assertion failed: 2 == 3");
  await expect(summary.getByTestId("failure-log")).toContainText("running 3 tests");
  const failed = page.locator('[data-testid="run-action"][data-action="UnitTests"]');
  await expect(failed).toHaveAttribute("data-status", "Failed");
  await expect(failed).toBeInViewport();
  await expect(summary).not.toBeInViewport();
  // The Commands action is one Sluice runs itself, and says so on the run view too.
  await expect(failed.getByTestId("runs-locally")).toBeVisible();

  // Back up to the summary; its link goes down to the action again.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(summary).toBeInViewport();
  await summary.getByTestId("failure-link").click();
  await expect(page).toHaveURL(/#action-Build-UnitTests$/);
  await expect(failed).toBeInViewport();
});
