import { callApi, commandsAction, open, postApi, s3SourcePipeline, waitForExecution } from "./api";
import { expect, expectConsoleError, test } from "./console";

// Disabling a transition needs a reason, and works with no run going (here the only run failed
// at once: its source does not exist); enabling it again is one click. The pipeline is deleted
// afterwards (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "quiet-gate";

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

test("a transition is disabled with its reason and enabled again while no run goes", async ({ page, request, consoleErrors }) => {
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "quiet-gate-missing", [{ name: "Deploy", actions: [commandsAction("Ship", ["echo shipped"])] }]),
  });
  const { pipelineExecutionSummaries: [first] } = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  await waitForExecution(request, PIPELINE, first.pipelineExecutionId, "Failed");

  await open(page, `/pipelines/${PIPELINE}`);
  await expect(page.getByTestId("run-status")).toHaveText("Failed");
  await expect(page.getByTestId("stop-controls")).toHaveCount(0);
  const gate = page.locator('[data-testid="run-transition"][data-stage="Deploy"]');
  await expect(gate).toHaveAttribute("data-enabled", "true");

  // Without a reason: refused beside the control, in words.
  await gate.getByTestId("flip-transition").click();
  await gate.getByTestId("transition-disable").click();
  await expect(gate.getByTestId("control-error")).toHaveText("Say why the transition is disabled.");
  expectConsoleError(consoleErrors, /status of 400/);

  await gate.getByTestId("transition-reason").fill("freeze until Monday");
  await gate.getByTestId("transition-disable").click();
  await expect(gate).toHaveAttribute("data-enabled", "false");
  await expect(gate).toHaveAttribute("title", "Disabled: freeze until Monday");
  const state = await callApi(request, "GetPipelineState", { name: PIPELINE });
  const deploy = state.stageStates.find((s: { stageName: string }) => s.stageName === "Deploy");
  expect(deploy.inboundTransitionState).toMatchObject({ enabled: false, disabledReason: "freeze until Monday" });

  await gate.getByTestId("flip-transition").click();
  await expect(gate).toHaveAttribute("data-enabled", "true");
  await expect(gate.getByTestId("transition-form")).toHaveCount(0);
});
