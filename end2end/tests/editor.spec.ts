import { type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { expect, expectConsoleError, test } from "./console";
import { callApi, open } from "./api";
import { card, expectStages, paletteItem, rename, setField, stage } from "./editor-helpers";

// Builds a pipeline on an empty canvas by dragging from the palette, as a new user would, then
// checks what the API returns and what the version diff shows.

const getPipeline = (request: APIRequestContext, name: string) => callApi(request, "GetPipeline", { name });

// The other spec files expect to start with no pipelines (deleting a missing one succeeds).
test.afterAll(async ({ request }) => {
  for (const name of ["drawn-release", "taken-by-api"]) {
    await callApi(request, "DeletePipeline", { name });
  }
});

/** Drags with the mouse, the target first scrolled into the canvas's view. */
async function drag(source: Locator, target: Locator) {
  await target.scrollIntoViewIfNeeded();
  await source.dragTo(target);
}

async function addStage(page: Page, at: number, name: string) {
  await drag(page.getByTestId("palette-stage"), page.getByTestId(`stage-gap-${at}`));
  const added = page.getByTestId("stage").nth(at);
  await rename(added.getByTestId("stage-name"), name);
  await expect(stage(page, name)).toBeVisible();
}

async function addAction(page: Page, category: string, provider: string, slot: string, name: string) {
  await drag(paletteItem(page, category, provider), page.getByTestId(slot));
  // The new action is selected; rename it on its card.
  const selected = page.locator('[data-testid="action-card"].selected');
  await rename(selected.getByTestId("action-name"), name);
  await expect(card(page, name)).toHaveClass(/selected/);
}

/** Makes the selected action read `artifact` alone (a new action reads the nearest upstream output). */
async function pickInput(page: Page, artifact: string) {
  const boxes = page.getByTestId("side-panel").getByTestId("input-artifact");
  for (const box of await boxes.all()) {
    const wanted = (await box.getAttribute("value")) === artifact;
    if ((await box.isChecked()) !== wanted) await box.setChecked(wanted);
  }
}

test("a pipeline drawn from an empty canvas is validated, saved, and diffed", async ({ page, request }) => {
  // Some forty drags, fills and checks: more than the default 30 s on a shared machine.
  test.setTimeout(120_000);
  await open(page, "/new");
  await expect(page.getByTestId("stage")).toHaveCount(0);
  await expect(page.getByTestId("save-button")).toBeDisabled();
  await setField(page, "name", "drawn-release");

  // Source stage.
  await addStage(page, 0, "Source");
  await addAction(page, "Source", "S3", "slot-0-before-0", "Checkout");
  await expect(card(page, "Checkout").getByTestId("artifact-out")).toHaveText("S3Output");
  await setField(page, "configuration.S3Bucket", "drawn-src");
  await setField(page, "configuration.S3ObjectKey", "app.zip");
  await expect(card(page, "Checkout").getByTestId("node-problem")).toHaveCount(0);

  // Build stage: a compile step, then two tests side by side.
  await addStage(page, 1, "Build");
  await addAction(page, "Build", "CodeBuild", "slot-1-before-0", "Compile");
  // A new action reads the nearest upstream output; without it, the error is on the Compile
  // card, and in the list.
  await expect(card(page, "Compile").getByTestId("artifact-in")).toHaveText("S3Output");
  await page.getByTestId("side-panel").locator('[data-testid="input-artifact"][value="S3Output"]').uncheck();
  const missingInput = card(page, "Compile").locator('[data-testid="node-problem"][data-code="input-artifact-count"]');
  await expect(missingInput).toBeVisible();
  await expect(stage(page, "Source").getByTestId("node-problem")).toHaveCount(0);
  const listed = page.locator('[data-testid="problem"][data-code="input-artifact-count"]');
  await expect(listed.locator(".action-chip")).toHaveText("Compile");
  await expect(page.getByTestId("save-button")).toBeDisabled();
  await pickInput(page, "S3Output");
  await expect(missingInput).toHaveCount(0);
  await setField(page, "configuration.ProjectName", "drawn-build");
  await setField(page, "outputArtifacts", "BuildOutput");

  await addAction(page, "Test", "CodeBuild", "slot-1-before-1", "UnitTests");
  await pickInput(page, "BuildOutput");
  await setField(page, "configuration.ProjectName", "drawn-unit");
  await addAction(page, "Test", "CodeBuild", "slot-1-in-1", "Lint");
  await pickInput(page, "S3Output");
  await setField(page, "configuration.ProjectName", "drawn-lint");
  const groups = stage(page, "Build").getByTestId("action-group");
  await expect(groups).toHaveCount(2);
  await expect(groups.nth(1).getByTestId("action-card")).toHaveCount(2);
  await expect(groups.nth(1)).toContainText("in parallel");

  // A manual approval, then the deploy stage.
  await addStage(page, 2, "Approve");
  await addAction(page, "Approval", "Manual", "slot-2-before-0", "ReleaseApproval");
  await expect(card(page, "ReleaseApproval")).toHaveClass(/approval/);
  await addStage(page, 3, "Deploy");
  await addAction(page, "Deploy", "S3", "slot-3-before-0", "Publish");
  await pickInput(page, "BuildOutput");
  await setField(page, "configuration.BucketName", "drawn-site");
  await setField(page, "configuration.Extract", "true");

  await expect(page.getByTestId("status-valid")).toBeVisible();
  await expectStages(page, ["Source", "Build", "Approve", "Deploy"]);
  await page.getByTestId("tab-json").click();
  const drawn = JSON.parse(await page.getByTestId("json-input").inputValue()).pipeline;
  await page.getByTestId("tab-canvas").click();

  await page.getByTestId("save-button").click();
  await expect(page).toHaveURL(/\/pipelines\/drawn-release\/edit$/);
  const saved = await getPipeline(request, "drawn-release");
  expect(saved.pipeline).toEqual({ ...drawn, version: 1, pipelineType: "V2", executionMode: "SUPERSEDED" });

  // Edit again: move Lint to run after the unit tests and change its project; add a stage.
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  await card(page, "Lint").click();
  await card(page, "Lint").getByTestId("action-down").click();
  await expect(stage(page, "Build").getByTestId("action-group")).toHaveCount(3);
  await setField(page, "configuration.ProjectName", "drawn-lint-strict");
  await page.getByTestId("save-button").click();
  await expect(page.getByTestId("saved-version")).toHaveText("Saved version 2");

  const versions = page.getByTestId("versions");
  await expect(versions.getByTestId("diff-from")).toHaveValue("1");
  await expect(versions.getByTestId("diff-to")).toHaveValue("2");
  const moved = versions.locator('[data-testid="diff-item"][data-kind="moved"]');
  await expect(moved).toHaveCount(1);
  await expect(moved).toContainText("Lint");
  await expect(moved).toContainText("run order 2 to Build, run order 3");
  const changed = versions.locator('[data-testid="diff-item"][data-kind="changed"]');
  await expect(changed).toHaveCount(1);
  await expect(changed).toContainText("configuration.ProjectName");
  expect((await getPipeline(request, "drawn-release")).pipeline.version).toBe(2);
});

test("buttons do what dragging does, and undo takes it back", async ({ page }) => {
  await open(page, "/new");
  await page.getByTestId("palette-stage").click();
  await page.getByTestId("palette-stage").click();
  await expect(page.getByTestId("stage")).toHaveCount(2);
  // Clicking a provider adds it to the selected stage.
  await page.getByTestId("stage").nth(0).click();
  await paletteItem(page, "Source", "S3").click();
  await expect(page.getByTestId("stage").nth(0).getByTestId("action-card")).toHaveCount(1);
  await page.getByTestId("stage").nth(0).getByTestId("action-right").click();
  await expect(page.getByTestId("stage").nth(1).getByTestId("action-card")).toHaveCount(1);
  await expect(page.locator('[data-testid="problem"][data-code="first-stage-not-source"]').first()).toBeVisible();
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("stage").nth(0).getByTestId("action-card")).toHaveCount(1);
  await page.getByTestId("redo").click();
  await expect(page.getByTestId("stage").nth(0).getByTestId("action-card")).toHaveCount(0);
  // A problem in the list selects the node it is about.
  await page.locator('[data-testid="problem"]').filter({ has: page.locator(".action-chip") }).first().getByTestId("problem-show").click();
  await expect(page.getByTestId("action-panel")).toBeVisible();
  // Stages move with buttons, and the keyboard deletes the selection.
  await rename(page.getByTestId("stage").nth(0).getByTestId("stage-name"), "First");
  await page.getByTestId("stage").nth(0).getByTestId("stage-right").click();
  await expectStages(page, ["Stage2", "First"]);
  await page.getByTestId("stage").nth(1).getByTestId("stage-duplicate").click();
  await expect(page.getByTestId("stage")).toHaveCount(3);
  await page.getByTestId("stage").nth(2).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Delete");
  await expect(page.getByTestId("stage")).toHaveCount(2);
});

test("the JSON view follows the canvas, and broken text keeps the drawing", async ({ page }) => {
  await open(page, "/new");
  await page.getByTestId("palette-stage").click();
  await page.getByTestId("tab-json").click();
  const text = page.getByTestId("json-input");
  const doc = JSON.parse(await text.inputValue());
  expect(doc.pipeline.stages.map((s: { name: string }) => s.name)).toEqual(["Stage1"]);

  doc.pipeline.stages[0].name = "Typed";
  await text.fill(JSON.stringify(doc, null, 2));
  await text.fill('{ "pipeline": { "name": ');
  await expect(page.getByTestId("json-broken")).toBeVisible();
  await page.getByTestId("tab-canvas").click();
  await expectStages(page, ["Typed"]);
  // Export gives the create-pipeline document; importing it back gives the same drawing.
  const href = await page.getByTestId("export").getAttribute("href");
  const exported = decodeURIComponent((href ?? "").replace(/^data:application\/json;charset=utf-8,/, ""));
  expect(JSON.parse(exported).pipeline.stages[0].name).toBe("Typed");
  const imported = JSON.parse(exported);
  imported.pipeline.stages[0].name = "Imported";
  await page.getByTestId("tab-json").click();
  await page.getByTestId("import-json-file").setInputFiles({
    name: "pipeline.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(imported)),
  });
  await expect(page.getByTestId("json-broken")).toHaveCount(0);
  await page.getByTestId("tab-canvas").click();
  await expectStages(page, ["Imported"]);
  await page.getByTestId("undo").click();
  await expectStages(page, ["Typed"]);
});

test("the server's refusal on save is listed like the validator's", async ({ page, request, consoleErrors }) => {
  const taken = {
    pipeline: {
      name: "taken-by-api",
      roleArn: "arn:aws:iam::123456789012:role/taken",
      artifactStore: { type: "S3", location: "taken-artifacts" },
      stages: [
        {
          name: "Source",
          actions: [
            {
              name: "Checkout",
              actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
              configuration: { S3Bucket: "b", S3ObjectKey: "k.zip" },
              outputArtifacts: [{ name: "Src" }],
            },
          ],
        },
        {
          name: "Approve",
          actions: [{ name: "Ok", actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" } }],
        },
      ],
    },
  };
  await callApi(request, "CreatePipeline", taken);

  // Drawn with clicks only: the palette adds to the selected stage.
  await open(page, "/new");
  await setField(page, "name", "taken-by-api");
  await page.getByTestId("palette-stage").click();
  await paletteItem(page, "Source", "S3").click();
  await setField(page, "configuration.S3Bucket", "b");
  await setField(page, "configuration.S3ObjectKey", "k.zip");
  await page.getByTestId("palette-stage").click();
  await paletteItem(page, "Approval", "Manual").click();
  await expect(page.getByTestId("status-valid")).toBeVisible();

  await page.getByTestId("save-button").click();
  const refusal = page.locator('[data-testid="problem"][data-code="name-in-use"]');
  await expect(refusal).toContainText("taken-by-api");
  await expect(page.getByTestId("save-button")).toBeDisabled();
  await expect(page).toHaveURL(/\/new$/);
  expectConsoleError(consoleErrors, /status of 400/);
  // Changing the pipeline clears the stale answer.
  await page.getByTestId("show-settings").click();
  await setField(page, "name", "taken-no-more");
  await expect(refusal).toHaveCount(0);
  await expect(page.getByTestId("save-button")).toBeEnabled();
});
