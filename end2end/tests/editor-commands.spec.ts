import { callApi, open, postApi } from "./api";
import { expect, test } from "./console";
import { card, paletteItem, setField } from "./editor-helpers";

// The Commands action written on the canvas alone: found in the palette with its filter, marked
// as run by Sluice, wired to the source's output on its own, its commands, environment and
// output variables typed into its form, and saved without opening the JSON tab.

const PIPELINE = "drawn-commands";

// The other spec files expect to start with no pipelines.
test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

test("the palette lists CodePipeline's categories in its order, folds them and filters them", async ({ page }) => {
  await open(page, "/new");
  const categories = page.getByTestId("palette-category");
  await expect
    .poll(() => categories.evaluateAll((els) => els.map((el) => el.getAttribute("data-category"))))
    .toEqual(["Source", "Build", "Test", "Deploy", "Approval", "Invoke", "Compute"]);
  // A category folds away.
  const source = page.locator('[data-testid="palette-category"][data-category="Source"]');
  await source.locator("summary").click();
  await expect(paletteItem(page, "Source", "S3")).toBeHidden();
  await source.locator("summary").click();
  await expect(paletteItem(page, "Source", "S3")).toBeVisible();
  // The filter leaves Commands alone, in its own category; the others hide.
  await page.getByTestId("palette-filter").fill("commands");
  await expect(page.locator('[data-testid="palette-item"]:visible')).toHaveCount(1);
  await expect(page.locator('[data-testid="palette-category"]:visible')).toHaveCount(1);
  const commands = paletteItem(page, "Compute", "Commands");
  await expect(commands).toHaveAttribute("data-runs-locally", "true");
  await expect(commands.getByTestId("runs-locally")).toBeVisible();
  await page.getByTestId("palette-filter").fill("");
  await expect(paletteItem(page, "Build", "CodeBuild")).toHaveAttribute("data-runs-locally", "true");
  await expect(paletteItem(page, "Test", "DeviceFarm")).toHaveAttribute("data-runs-locally", "false");
  await expect(paletteItem(page, "Test", "DeviceFarm").getByTestId("runs-locally")).toHaveCount(0);
});

test("a Commands action is drawn, filled in its form and saved without touching JSON", async ({ page, request }) => {
  test.setTimeout(60_000);
  await open(page, "/new");
  await setField(page, "name", PIPELINE);
  await page.getByTestId("palette-stage").click();
  await page.getByTestId("palette-stage").click();
  // Clicking a provider adds it to the selected stage.
  await page.getByTestId("stage").nth(0).click();
  await paletteItem(page, "Source", "S3").click();
  await setField(page, "configuration.S3Bucket", "drawn-commands-src");
  await setField(page, "configuration.S3ObjectKey", "app.zip");
  await page.getByTestId("stage").nth(1).click();
  await page.getByTestId("palette-filter").fill("commands");
  await paletteItem(page, "Compute", "Commands").click();

  const action = card(page, "Commands");
  await expect(action.getByTestId("runs-locally")).toBeVisible();
  // Wired to the source's output without asking.
  await expect(action.getByTestId("artifact-in")).toHaveText("S3Output");
  // Until it has commands, the form says so at the field.
  const panel = page.getByTestId("side-panel");
  await expect(panel.locator('[data-field="commands"] [data-testid="field-problem"]')).toContainText("1-50 commands");
  await expect(page.getByTestId("save-button")).toBeDisabled();

  await setField(page, "commands", "echo building for $STAGE\n\nmake test");
  await panel.getByTestId("env-add").click();
  await setField(page, "environmentVariables[0].name", "STAGE");
  await setField(page, "environmentVariables[0].value", "test");
  await setField(page, "outputVariables", "STAGE, BUILD_ID");
  await expect(panel.getByTestId("field-problem")).toHaveCount(0);
  await expect(page.getByTestId("status-valid")).toBeVisible();

  await page.getByTestId("save-button").click();
  await expect(page).toHaveURL(new RegExp(`/pipelines/${PIPELINE}/edit$`));
  const saved = (await callApi(request, "GetPipeline", { name: PIPELINE })).pipeline;
  expect(saved.pipelineType).toBe("V2");
  expect(saved.stages[1].actions[0]).toEqual({
    name: "Commands",
    actionTypeId: { category: "Compute", owner: "AWS", provider: "Commands", version: "1" },
    runOrder: 1,
    configuration: {},
    commands: ["echo building for $STAGE", "make test"],
    outputArtifacts: [],
    inputArtifacts: [{ name: "S3Output" }],
    outputVariables: ["STAGE", "BUILD_ID"],
    environmentVariables: [{ name: "STAGE", value: "test" }],
  });
  // The saved version reads back into the same form.
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  await card(page, "Commands").click();
  await expect(panel.getByTestId("field-commands")).toHaveValue("echo building for $STAGE\nmake test");
  await expect(panel.getByTestId("field-environmentVariables[0].name")).toHaveValue("STAGE");
});
