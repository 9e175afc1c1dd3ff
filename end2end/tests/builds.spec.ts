import { type APIRequestContext, type Page } from "@playwright/test";
import { callApi, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForExecution } from "./api";
import { expect, test } from "./console";
import { VIEWER_PASSWORD, addUser, pageOf } from "./identity";

// A CodeBuild build's page: its phases coloured by status with their durations, its live log,
// its environment and exported variables, reached from the CodeBuild action in the run view;
// Stop and Retry only for users whose policies allow them. The pipeline is deleted afterwards
// (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "build-page";
const SHOTS = process.env.SLUICE_SHOTS_DIR;

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

/** Calls the CodeBuild JSON API with the session, failing the test on an error. */
async function codebuild(request: APIRequestContext, operation: string, body: unknown) {
  const response = await request.post("/", {
    headers: { "X-Amz-Target": `CodeBuild_20161006.${operation}`, "Content-Type": "application/x-amz-json-1.1" },
    data: JSON.stringify(body),
  });
  expect(response.ok(), `${operation}: ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** A project whose builds run `buildspec`; a retried test finds it already there. */
async function project(request: APIRequestContext, name: string, source: Record<string, string>) {
  const response = await request.post("/", {
    headers: { "X-Amz-Target": "CodeBuild_20161006.CreateProject", "Content-Type": "application/x-amz-json-1.1" },
    data: JSON.stringify({
      name,
      source,
      artifacts: { type: "NO_ARTIFACTS" },
      environment: {
        type: "LINUX_CONTAINER",
        image: "aws/codebuild/standard:7.0",
        computeType: "BUILD_GENERAL1_SMALL",
        environmentVariables: [{ name: "TARGET", value: "release", type: "PLAINTEXT" }],
      },
      serviceRole: "arn:aws:iam::000000000000:role/codebuild",
    }),
  });
  expect(response.ok() || (await response.text()).includes("ResourceAlreadyExists")).toBeTruthy();
}

const BUILDSPEC = [
  "version: 0.2",
  "env:",
  "  exported-variables: [RESULT]",
  "phases:",
  "  install:",
  "    commands:",
  "      - echo installing",
  "  build:",
  "    commands:",
  "      - for i in $(seq 1 30); do echo compiling-$i; done",
  "      - RESULT=\"built-$TARGET\"",
  "",
].join("\n");

/** Nothing is wider than the window (no sideways scrolling). */
async function fitsWidth(page: Page, width: number) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scroll).toBeLessThanOrEqual(width);
}

async function shoot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

let firstBuild = "";

test("a build's page shows its phases, log, environment and exported variables", async ({ page, request }) => {
  await project(request, "e2e-hello", { type: "NO_SOURCE", buildspec: BUILDSPEC });
  const { build } = await codebuild(request, "StartBuild", { projectName: "e2e-hello" });
  firstBuild = build.id;

  await page.setViewportSize({ width: 1440, height: 900 });
  await open(page, `/builds/${firstBuild}`);
  await expect(page.getByTestId("build-title")).toHaveText(/^e2e-hello:\d+$/);
  await expect(page.getByTestId("build-status")).toHaveText("SUCCEEDED");
  const phases = page.getByTestId("build-phase");
  await expect(phases.locator(".phase-name")).toHaveText(["SUBMITTED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "BUILD", "UPLOAD_ARTIFACTS", "COMPLETED"]);
  const buildPhase = page.locator('[data-testid="build-phase"][data-phase="BUILD"]');
  await expect(buildPhase).toHaveClass(/status-succeeded/);
  await expect(buildPhase.getByTestId("phase-status")).toHaveText("SUCCEEDED");
  await expect(buildPhase.locator(".phase-duration")).toHaveText(/^\d+\.\d s$/);
  await expect(page.getByTestId("build-environment")).toContainText("TARGET");
  await expect(page.getByTestId("build-environment")).toContainText("release");
  await expect(page.getByTestId("build-exported")).toContainText("built-release");
  await expect(page.getByTestId("build-initiator")).toHaveText("admin");
  await expect(page.getByTestId("log-line").filter({ hasText: /^\d+compiling-30$/ })).toHaveCount(1);
  await expect(page.getByTestId("log-line").filter({ hasText: "Entering phase BUILD" })).toHaveCount(1);
  await fitsWidth(page, 1440);
  await shoot(page, "build-1440");

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("build-phases")).toBeVisible();
  await fitsWidth(page, 390);
  const phasesBox = (await page.getByTestId("build-phases").boundingBox())!;
  expect(phasesBox.x + phasesBox.width).toBeLessThanOrEqual(390);
  await shoot(page, "build-390");

  // The project's list links each build.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole("link", { name: "e2e-hello builds" }).click();
  await expect(page.getByTestId("project-builds-title")).toHaveText("Builds of e2e-hello");
  await expect(page.getByTestId("project-build").first()).toContainText("SUCCEEDED");
});

test("Retry starts the build again, Stop kills a running one", async ({ page, request }) => {
  await open(page, `/builds/${firstBuild}`);
  await expect(page.getByTestId("build-status")).toHaveText("SUCCEEDED");
  await expect(page.getByTestId("build-stop")).toHaveCount(0);
  await page.getByTestId("build-retry").click();
  await expect(page).not.toHaveURL(new RegExp(`${firstBuild}$`));
  await expect(page.getByTestId("build-status")).toHaveText("SUCCEEDED");

  const slow = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo waiting\n      - sleep 120\n";
  const { build } = await codebuild(request, "StartBuild", { projectName: "e2e-hello", buildspecOverride: slow });
  await open(page, `/builds/${build.id}`);
  await expect(page.getByTestId("build-status")).toHaveText("IN_PROGRESS");
  await expect(page.getByTestId("log-line").filter({ hasText: /^\d+waiting$/ })).toHaveCount(1);
  await expect(page.locator('[data-testid="build-phase"][data-phase="BUILD"]')).toHaveClass(/status-inprogress/);
  await expect(page.getByTestId("build-retry")).toHaveCount(0);
  await shoot(page, "build-running");
  await page.getByTestId("build-stop").click();
  await page.getByTestId("confirm-yes").click();
  await expect(page.getByTestId("build-status")).toHaveText("STOPPED");
  await expect(page.locator('[data-testid="build-phase"][data-phase="BUILD"]')).toHaveClass(/status-stopped/);
  await expect(page.getByTestId("build-stop")).toHaveCount(0);
  const { builds: [stopped] } = await codebuild(request, "BatchGetBuilds", { ids: [build.id] });
  expect(stopped.buildStatus).toBe("STOPPED");
});

test("a pipeline's CodeBuild action links its build, and a viewer gets no controls", async ({ page, request, baseURL, browser }) => {
  await project(request, "e2e-piped", { type: "CODEPIPELINE", buildspec: BUILDSPEC });
  await uploadSource(request, baseURL, "build-page-src", sourceZip());
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "build-page-src", [{
      name: "Build",
      actions: [{
        name: "Compile",
        actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
        configuration: { ProjectName: "e2e-piped" },
        inputArtifacts: [{ name: "Src" }],
      }],
    }]),
  });
  const { pipelineExecutionSummaries: [run] } = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  await waitForExecution(request, PIPELINE, run.pipelineExecutionId, "Succeeded");

  await open(page, `/pipelines/${PIPELINE}?execution=${run.pipelineExecutionId}`);
  const compile = page.locator('[data-testid="run-action"][data-action="Compile"]');
  await compile.getByTestId("build-link").click();
  await expect(page).toHaveURL(/\/builds\/e2e-piped:/);
  await expect(page.getByTestId("build-initiator")).toHaveText(`codepipeline/${PIPELINE}`);
  await expect(page.getByTestId("build-status")).toHaveText("SUCCEEDED");
  await expect(page.getByTestId("log-line").filter({ hasText: /^\d+compiling-30$/ })).toHaveCount(1);
  // A pipeline's build is retried with its stage, not on its own.
  await expect(page.getByTestId("build-retry")).toHaveCount(0);
  await page.getByTestId("build-run").click();
  await expect(page).toHaveURL(new RegExp(`/pipelines/${PIPELINE}\\?execution=`));

  addUser("viewer", "Viewer", VIEWER_PASSWORD);
  const viewer = await pageOf(browser, "viewer", VIEWER_PASSWORD);
  await open(viewer.page, `/builds/${firstBuild}`);
  await expect(viewer.page.getByTestId("build-status")).toHaveText("SUCCEEDED");
  await expect(viewer.page.getByTestId("build-exported")).toContainText("built-release");
  await expect(viewer.page.getByTestId("build-retry")).toHaveCount(0);
  await expect(viewer.page.getByTestId("build-stop")).toHaveCount(0);
  await viewer.close();
});
