import { type Page } from "@playwright/test";
import { expect, expectConsoleError, test } from "./console";
import { callApi, open } from "./api";

// The server starts with an empty data dir (playwright.config.ts) and tests run in file order on
// one worker, so the first test sees no pipelines.

/** A realistic V1 pipeline: S3 source, CodeBuild build with a parallel test, approval, CloudFormation. */
function webRelease(name = "web-release") {
  return {
    name,
    roleArn: "arn:aws:iam::123456789012:role/service-role/web-release",
    artifactStore: { type: "S3", location: "web-release-artifacts" },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Checkout",
            actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
            configuration: { S3Bucket: "web-release-src", S3ObjectKey: "app.zip", PollForSourceChanges: "false" },
            outputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Compile",
            actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
            configuration: { ProjectName: "web-release-build" },
            inputArtifacts: [{ name: "SourceOutput" }],
            outputArtifacts: [{ name: "BuildOutput" }],
          },
          {
            name: "UnitTests",
            actionTypeId: { category: "Test", owner: "AWS", provider: "CodeBuild", version: "1" },
            configuration: { ProjectName: "web-release-tests" },
            inputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
      {
        name: "Approve",
        actions: [
          {
            name: "ReleaseApproval",
            actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
            configuration: { CustomData: "Check staging first." },
          },
        ],
      },
      {
        name: "Deploy",
        actions: [
          {
            name: "DeployStack",
            actionTypeId: { category: "Deploy", owner: "AWS", provider: "CloudFormation", version: "1" },
            configuration: {
              ActionMode: "CREATE_UPDATE",
              StackName: "web-release",
              TemplatePath: "BuildOutput::template.yaml",
              RoleArn: "arn:aws:iam::123456789012:role/cfn-deploy",
            },
            inputArtifacts: [{ name: "BuildOutput" }],
          },
        ],
      },
    ],
  };
}

async function paste(page: Page, value: unknown) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  await page.getByTestId("pipeline-input").fill(text);
}

test("the pipeline list starts empty and offers to create one", async ({ page }) => {
  await open(page, "/");
  await expect(page.getByRole("heading", { name: "Pipelines", exact: true })).toBeVisible();
  const empty = page.getByTestId("empty-state");
  await expect(empty).toContainText("No pipelines yet");
  await empty.getByTestId("empty-create").click();
  await expect(page).toHaveURL(/\/new$/);
  // The editor opens on an empty canvas, which cannot be saved yet.
  await expect(page.getByTestId("editor-canvas")).toBeVisible();
  await expect(page.getByTestId("save-button")).toBeDisabled();
});

test("a pasted pipeline is checked, previewed, created and drawn", async ({ page }) => {
  await open(page, "/new/json");
  // The get-pipeline / --cli-input-json shape, as people usually have it on disk.
  await paste(page, { pipeline: webRelease() });

  await expect(page.getByTestId("status-valid")).toContainText("web-release");
  await expect(page.getByTestId("problems")).toHaveCount(0);
  const preview = page.getByTestId("preview");
  await expect(preview.getByTestId("stage")).toHaveCount(4);
  await expect(preview.getByTestId("action-card")).toHaveCount(5);

  await page.getByTestId("create-button").click();
  await expect(page).toHaveURL(/\/pipelines\/web-release$/);
  await expect(page.getByTestId("pipeline-name")).toHaveText("web-release");

  const graph = page.getByTestId("pipeline-graph");
  const stages = graph.getByTestId("stage");
  await expect(stages.locator(".stage-name")).toHaveText(["Source", "Build", "Approve", "Deploy"]);

  // Compile and UnitTests share run order 1: one group, two cards, side by side in time.
  const build = graph.locator('[data-testid="stage"][data-stage="Build"]');
  const groups = build.getByTestId("action-group");
  await expect(groups).toHaveCount(1);
  await expect(groups.first().getByTestId("action-card")).toHaveCount(2);
  await expect(groups.first()).toContainText("in parallel");

  const compile = graph.locator('[data-action="Compile"]');
  await expect(compile).toHaveAttribute("data-category", "Build");
  await expect(compile.getByTestId("category-badge")).toHaveText("Build");
  await expect(compile).toContainText("CodeBuild");
  await expect(compile.getByTestId("artifact-in")).toHaveText("SourceOutput");
  await expect(compile.getByTestId("artifact-out")).toHaveText("BuildOutput");

  const approval = graph.locator('[data-action="ReleaseApproval"]');
  await expect(approval).toHaveClass(/approval/);
  await expect(approval).toContainText("Waits for a person to approve");

  await expect(page.getByTestId("pipeline-arn")).toContainText(":web-release");

  // The JSON tab shows what GetPipeline returns, with the defaults the server filled in.
  await page.getByTestId("tab-json").click();
  const json = page.getByTestId("pipeline-json");
  await expect(json).toBeVisible();
  const shown = JSON.parse((await json.textContent()) ?? "");
  expect(shown.name).toBe("web-release");
  expect(shown.version).toBe(1);
  expect(shown.pipelineType).toBe("V1");
  expect(shown.stages).toHaveLength(4);

  // And it is listed.
  await page.getByRole("link", { name: "Pipelines", exact: true }).first().click();
  const row = page.locator('[data-testid="pipeline-row"][data-name="web-release"]');
  await expect(row).toBeVisible();
  await expect(row).toContainText("V1");
  await expect(row).toContainText("just now");
  await row.getByRole("link", { name: "web-release" }).click();
  await expect(page.getByTestId("pipeline-name")).toHaveText("web-release");
});

test("a broken pipeline lists errors by stage and action, and Create stays disabled", async ({ page }) => {
  await open(page, "/new/json");
  const create = page.getByTestId("create-button");

  // An input artifact that no action produces.
  const dangling = webRelease("broken-artifacts");
  dangling.stages[3].actions[0].inputArtifacts = [{ name: "NobodyMakesThis" }];
  await paste(page, dangling);
  const problem = page.locator('[data-testid="problem"][data-code="input-artifact-not-produced"]');
  await expect(problem).toBeVisible();
  await expect(problem.locator(".stage-chip")).toHaveText("Deploy");
  await expect(problem.locator(".action-chip")).toHaveText("DeployStack");
  await expect(problem).toContainText("NobodyMakesThis");
  await expect(create).toBeDisabled();
  // The preview marks the offending card.
  await expect(page.getByTestId("preview").locator('[data-action="DeployStack"]')).toHaveClass(/has-problem/);

  // A first stage without a source action.
  const noSource = webRelease("broken-source");
  noSource.stages[0] = noSource.stages[1];
  noSource.stages[0].name = "Build";
  noSource.stages[1] = { ...noSource.stages[1], name: "Build2" };
  await paste(page, noSource);
  const first = page.locator('[data-testid="problem"][data-code="first-stage-not-source"]');
  await expect(first).toBeVisible();
  await expect(first.locator(".stage-chip")).toHaveText("Build");
  await expect(create).toBeDisabled();

  // JSON that does not parse: the error says where.
  await paste(page, '{\n  "name": "oops",\n  "stages": [\n    { "name": "Source", }\n  ]\n}');
  const parse = page.locator('[data-testid="problem"][data-code="parse-error"]');
  await expect(parse).toBeVisible();
  await expect(parse.locator(".pos-chip")).toContainText("line 4");
  // Clicking the position puts the caret there.
  await parse.locator(".pos-chip").click();
  await expect(page.getByTestId("pipeline-input")).toBeFocused();
  const caret = await page.getByTestId("pipeline-input").evaluate((el: HTMLTextAreaElement) => el.selectionStart);
  expect(caret).toBeGreaterThan(40);
  await expect(create).toBeDisabled();
  await expect(page.getByTestId("preview")).toContainText("once the JSON parses");

  // Fixing it enables Create again.
  await paste(page, webRelease("fixed-later"));
  await expect(page.getByTestId("status-valid")).toBeVisible();
  await expect(create).toBeEnabled();
});

test("a name already in use shows the server's error", async ({ page, request, consoleErrors }) => {
  await callApi(request, "CreatePipeline", { pipeline: webRelease("taken-name") });

  await open(page, "/new/json");
  await paste(page, webRelease("taken-name")); // the bare declaration shape
  const create = page.getByTestId("create-button");
  await expect(create).toBeEnabled();
  await create.click();

  const refusal = page.getByTestId("server-problems").locator('[data-code="name-in-use"]');
  await expect(refusal).toContainText("taken-name");
  await expect(refusal).toContainText("already exists");
  await expect(page).toHaveURL(/\/new\/json$/);
  expectConsoleError(consoleErrors, /status of 400/);

  // Editing the text clears the stale answer.
  await paste(page, webRelease("another-name"));
  await expect(page.getByTestId("server-problems")).toHaveCount(0);
});

test("older versions can be picked and are marked as old", async ({ page, request }) => {
  const pipeline = webRelease("versioned");
  await callApi(request, "CreatePipeline", { pipeline });
  pipeline.stages[2].actions[0].configuration = { CustomData: "Second version" };
  await callApi(request, "UpdatePipeline", { pipeline });

  await open(page, "/pipelines/versioned");
  const select = page.getByTestId("version-select");
  await expect(select).toHaveValue("2");
  await expect(page.getByTestId("old-version")).toHaveCount(0);

  await select.selectOption("1");
  await expect(page).toHaveURL(/\/pipelines\/versioned\?version=1$/);
  await expect(page.getByTestId("old-version")).toContainText("version 1");
  await page.getByTestId("tab-json").click();
  await expect(page).toHaveURL(/version=1&tab=json$/);
  const shown = JSON.parse((await page.getByTestId("pipeline-json").textContent()) ?? "");
  expect(shown.version).toBe(1);
  expect(shown.stages[2].actions[0].configuration.CustomData).toBe("Check staging first.");
});

test("a missing pipeline gets a not-found page", async ({ page, consoleErrors }) => {
  const response = await page.goto("/pipelines/does-not-exist");
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toContainText("does-not-exist");
  expectConsoleError(consoleErrors, /status of 404/);
});
