import { type Locator, type Page } from "@playwright/test";
import { expect, test } from "./console";
import { callApi, open } from "./api";
import { card, expectStages, setField } from "./editor-helpers";

// The editor's finer parts: artifacts drawn as connections, variable references offered while
// typing, triggers in the settings, and the YAML view.

const s3Source = (name: string, output: string, extra: object = {}) => ({
  name,
  actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
  configuration: { S3Bucket: "b", S3ObjectKey: "k.zip" },
  outputArtifacts: [{ name: output }],
  ...extra,
});
const codeBuild = (name: string, inputs: string[], extra: object = {}) => ({
  name,
  actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
  configuration: { ProjectName: "p" },
  inputArtifacts: inputs.map((name) => ({ name })),
  ...extra,
});
const pipelineOf = (name: string, stages: object[], extra: object = {}) => ({
  name,
  roleArn: "arn:aws:iam::123456789012:role/r",
  artifactStore: { type: "S3", location: "artifacts" },
  stages,
  ...extra,
});

/** Replaces the drawing with `pipeline` through the JSON view, then shows the canvas. */
async function drawFromJson(page: Page, pipeline: object) {
  await page.getByTestId("tab-json").click();
  await page.getByTestId("json-input").fill(JSON.stringify({ pipeline }, null, 2));
  await expect(page.getByTestId("json-broken")).toHaveCount(0);
  await page.getByTestId("tab-canvas").click();
}

/** The points a connection's SVG path starts and ends at. */
async function ends(link: Locator) {
  const d = (await link.getAttribute("d")) ?? "";
  const numbers = d.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
  return { x1: numbers[0], y1: numbers[1], x2: numbers[numbers.length - 2], y2: numbers[numbers.length - 1] };
}

test("artifacts are drawn from producer to consumer, and an input nothing upstream makes dangles", async ({ page }) => {
  await open(page, "/new");
  await drawFromJson(
    page,
    pipelineOf("linked", [
      { name: "Source", actions: [s3Source("Checkout", "Code")] },
      {
        name: "Build",
        actions: [
          codeBuild("Compile", ["Code"], { outputArtifacts: [{ name: "Bin" }] }),
          // Same group as Compile: they run together, so Bin is not there yet.
          codeBuild("Package", ["Bin"]),
        ],
      },
    ]),
  );
  const links = page.getByTestId("artifact-link");
  const code = page.locator('[data-testid="artifact-link"][data-artifact="Code"]');
  await expect(code).toHaveAttribute("data-from", "0-0");
  await expect(code).toHaveAttribute("data-to", "1-0");
  // From the right edge of Checkout to the left edge of Compile, in the next column.
  const { x1, x2 } = await ends(code);
  const checkout = (await card(page, "Checkout").boundingBox())!;
  const compile = (await card(page, "Compile").boundingBox())!;
  expect(x2 - x1).toBeCloseTo(compile.x - (checkout.x + checkout.width), 0);

  const bin = page.locator('[data-testid="artifact-link"][data-artifact="Bin"]');
  await expect(bin).toHaveClass(/dangling/);
  const marked = card(page, "Package").locator('[data-testid="artifact-in"].dangling');
  await expect(marked).toHaveText("Bin");
  await expect(card(page, "Package").locator('[data-testid="node-problem"]').first()).toBeVisible();
  // The input panel offers only what runs earlier: Code, not Bin's own group.
  await card(page, "Package").click();
  await expect(page.getByTestId("side-panel").locator('[data-testid="input-artifact"]:not(:checked)')).toHaveCount(1);

  // Run Package after Compile: Bin now comes from Compile, drawn down the column.
  await card(page, "Package").getByTestId("action-down").click();
  await expect(bin).not.toHaveClass(/dangling/);
  await expect(bin).toHaveAttribute("data-from", "1-0");
  await expect(card(page, "Package").locator(".artifact.dangling")).toHaveCount(0);
  await expect(links).toHaveCount(2);
  const down = await ends(bin);
  expect(down.y2).toBeGreaterThan(down.y1);

  // Renaming an output upstream leaves its consumer, a stage later, dangling.
  await card(page, "Checkout").click();
  await setField(page, "outputArtifacts", "Sources");
  await expect(code).toHaveClass(/dangling/);
  await expect(card(page, "Compile").locator('[data-testid="artifact-in"].dangling')).toHaveText("Code");
});

test("typing #{ in a configuration field offers the variables available there", async ({ page }) => {
  await open(page, "/new");
  await drawFromJson(
    page,
    pipelineOf(
      "variables-offered",
      [
        { name: "Source", actions: [s3Source("Checkout", "Code", { namespace: "SourceVariables" })] },
        { name: "Build", actions: [codeBuild("Compile", ["Code"], { namespace: "BuildVariables" })] },
      ],
      { pipelineType: "V2", variables: [{ name: "Env", defaultValue: "dev" }] },
    ),
  );
  await card(page, "Compile").click();
  const field = page.getByTestId("side-panel").getByTestId("field-configuration.ProjectName");
  await field.fill("app-");
  await field.pressSequentially("#{Sou");
  const offered = page.getByTestId("reference-suggestion");
  await expect(offered).toHaveText(["#{SourceVariables.ETag}", "#{SourceVariables.VersionId}"]);
  await field.press("ArrowDown");
  await expect(offered.nth(1)).toHaveAttribute("aria-selected", "true");
  await field.press("Enter");
  await expect(page.getByTestId("reference-suggestions")).toHaveCount(0);
  const completed = page.getByTestId("side-panel").getByTestId("field-configuration.ProjectName");
  await expect(completed).toHaveValue("app-#{SourceVariables.VersionId}");

  // The list holds what exists here: the execution id, pipeline variables, not its own namespace.
  await completed.fill("");
  await completed.pressSequentially("#{");
  await expect(offered).toContainText(["#{codepipeline.PipelineExecutionId}", "#{variables.Env}"]);
  await expect(offered.filter({ hasText: "BuildVariables" })).toHaveCount(0);
  await offered.filter({ hasText: "variables.Env" }).click();
  await expect(completed).toHaveValue("#{variables.Env}");
  await page.getByTestId("tab-json").click();
  const json = JSON.parse(await page.getByTestId("json-input").inputValue());
  expect(json.pipeline.stages[1].actions[0].configuration.ProjectName).toBe("#{variables.Env}");
});

test("a trigger added in the settings is in the JSON and survives saving", async ({ page, request }) => {
  await open(page, "/new");
  const repo = {
    name: "Repo",
    actionTypeId: { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" },
    configuration: {
      ConnectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/abc",
      FullRepositoryId: "acme/app",
      BranchName: "main",
    },
    outputArtifacts: [{ name: "Code" }],
  };
  await drawFromJson(
    page,
    pipelineOf("triggered", [{ name: "Source", actions: [repo] }, { name: "Build", actions: [codeBuild("Compile", ["Code"])] }], {
      pipelineType: "V2",
    }),
  );
  await page.getByTestId("add-trigger").click();
  await expect(page.getByTestId("trigger")).toHaveCount(1);
  await expect(page.getByTestId("field-trigger-0-source")).toHaveValue("Repo");
  await setField(page, "trigger-0-branches", "main, release/*, !release/old");
  // Tags with branches is not a push filter CodePipeline takes: the validator says so here.
  await setField(page, "trigger-0-tags", "v*");
  const shape = page.getByTestId("trigger").locator('[data-testid="field-problem"][data-code="trigger-push-filter-invalid"]');
  await expect(shape).toBeVisible();
  await expect(page.getByTestId("save-button")).toBeDisabled();
  await setField(page, "trigger-0-tags", "");
  await expect(shape).toHaveCount(0);
  await setField(page, "trigger-0-file-paths", "src/**");

  const expected = [
    {
      providerType: "CodeStarSourceConnection",
      gitConfiguration: {
        sourceActionName: "Repo",
        push: [{ branches: { includes: ["main", "release/*"], excludes: ["release/old"] }, filePaths: { includes: ["src/**"] } }],
      },
    },
  ];
  await page.getByTestId("tab-json").click();
  expect(JSON.parse(await page.getByTestId("json-input").inputValue()).pipeline.triggers).toEqual(expected);
  await page.getByTestId("tab-canvas").click();
  await page.getByTestId("save-button").click();
  await expect(page).toHaveURL(/\/pipelines\/triggered\/edit$/);
  // The saved version's editor has loaded (its own request done) before the pipeline is deleted.
  await expect(page.getByRole("heading", { name: "Edit triggered" })).toBeVisible();
  expect((await callApi(request, "GetPipeline", { name: "triggered" })).pipeline.triggers).toEqual(expected);
  await callApi(request, "DeletePipeline", { name: "triggered" });
});

test("the YAML view edits the drawing, and broken YAML keeps it", async ({ page }) => {
  await open(page, "/new");
  await page.getByTestId("palette-stage").click();
  await page.getByTestId("tab-yaml").click();
  const text = page.getByTestId("yaml-input");
  await expect(text).toHaveValue(/^pipeline:\n  name: my-pipeline\n/);
  await text.fill((await text.inputValue()).replace("name: Stage1", "name: FromYaml"));
  await expect(page.getByTestId("yaml-broken")).toHaveCount(0);
  await page.getByTestId("tab-canvas").click();
  await expectStages(page, ["FromYaml"]);

  await page.getByTestId("tab-yaml").click();
  await text.fill("pipeline:\n  name: [unclosed");
  await expect(page.getByTestId("yaml-broken")).toContainText("YAML");
  await page.getByTestId("tab-canvas").click();
  await expectStages(page, ["FromYaml"]);
  // The canvas's edits come back as YAML.
  await page.getByTestId("palette-stage").click();
  await page.getByTestId("tab-yaml").click();
  await expect(text).toHaveValue(/name: FromYaml[\s\S]*name: Stage2/);
});

test("an action moved to another region is refused while drawing, as CreatePipeline refuses it", async ({ page }) => {
  await open(page, "/new");
  await drawFromJson(
    page,
    pipelineOf("regional", [
      { name: "Source", actions: [s3Source("Checkout", "Code")] },
      { name: "Build", actions: [codeBuild("Compile", ["Code"])] },
    ]),
  );
  await card(page, "Compile").click();
  const problem = page.getByTestId("side-panel").locator('[data-testid="field-problem"]');
  await expect(problem).toHaveCount(0);
  // The server runs in us-east-1: a single artifactStore cannot serve an action elsewhere.
  await setField(page, "region", "eu-west-1");
  await expect(problem.first()).toHaveAttribute("data-code", "artifact-store-missing-for-region");
  await expect(problem.first()).toContainText("eu-west-1");
  // A source action may not leave the pipeline's region at all.
  await card(page, "Checkout").click();
  await setField(page, "region", "eu-west-1");
  await expect(problem.filter({ hasText: "another region" })).toHaveAttribute("data-code", "cross-region-not-allowed");
  await setField(page, "region", "us-east-1");
  await expect(problem).toHaveCount(0);
});
