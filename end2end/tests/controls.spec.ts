import { type Page } from "@playwright/test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { approvalAction, callApi, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForStage } from "./api";
import { expect, expectConsoleError, test } from "./console";
import { VIEWER_PASSWORD, addUser, pageOf, sluiceCli } from "./identity";

// Honest controls: the run view and the pipeline page offer only what the user's policies allow,
// and a refused call (a policy changed under an open page, a typo) says why beside the control,
// in words, never as a server failure with a raw ARN. The pipeline is deleted afterwards
// (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "controls-gate";
const EDITOR = "controls-editor";
const EDITOR_PASSWORD = "e2e-controls-editor-password";

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

/** Every control of the run view and the pipeline page, by test id. */
const CONTROLS = ["start-run", "run-variables", "stop-abandon", "stop-wait", "approve", "reject", "flip-transition", "edit-pipeline"];

async function expectControls(page: Page, count: 0 | 1) {
  for (const control of CONTROLS) {
    await expect(page.getByTestId(control), control).toHaveCount(count);
  }
}

test("a Viewer's run view has no controls; an admin's has them all", async ({ page, request, browser, baseURL }) => {
  await uploadSource(request, baseURL, "controls-src", sourceZip());
  // Source → Gate (a manual approval): the first run waits at the gate, with a transition before it.
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "controls-src", [{ name: "Gate", actions: [approvalAction("Release", "Ship?")] }]),
  });
  // Opened once the run waits, not while it changes under the page's hydration.
  await waitForStage(request, PIPELINE, "Gate", "InProgress");
  await open(page, `/pipelines/${PIPELINE}`);
  await expect(page.locator('[data-testid="run-action"][data-action="Release"]')).toHaveAttribute("data-status", "InProgress", { timeout: 20_000 });
  await expectControls(page, 1);
  // Nothing failed: no failure summary.
  await expect(page.getByTestId("failure-summary")).toHaveCount(0);

  const viewer = await pageOf(browser, "viewer", VIEWER_PASSWORD);
  await open(viewer.page, `/pipelines/${PIPELINE}`);
  // The same run, shown alike, with nothing to press.
  await expect(viewer.page.locator('[data-testid="run-action"][data-action="Release"]')).toHaveAttribute("data-status", "InProgress");
  await expect(viewer.page.getByTestId("run-transition")).toHaveCount(1);
  await expectControls(viewer.page, 0);
  await expect(viewer.page.getByRole("link", { name: "New pipeline" })).toHaveCount(0);
  await open(viewer.page, "/");
  await expect(viewer.page.locator('[data-testid="pipeline-row"]', { hasText: PIPELINE })).toBeVisible();
  await expect(viewer.page.getByTestId("new-pipeline")).toHaveCount(0);
  await viewer.close();

  // The admin abandons the run, after saying so twice.
  await page.getByTestId("stop-abandon").click();
  await expect(page.getByTestId("confirm")).toContainText("abandoned");
  await page.getByTestId("confirm-yes").click();
  await expect(page.getByTestId("run-status")).toHaveText("Stopped", { timeout: 20_000 });
});

test("a refused call says why beside the control, in words and as the caller's error", async ({ browser }) => {
  addUser(EDITOR, "Editor", EDITOR_PASSWORD);
  const editor = await pageOf(browser, EDITOR, EDITOR_PASSWORD);
  await open(editor.page, `/pipelines/${PIPELINE}`);

  // A typo in the variables is the caller's to fix: a 400 and the reason beside Start.
  await editor.page.getByTestId("run-variables").fill("oops");
  const typo = editor.page.waitForResponse((r) => r.url().includes("start_run"));
  await editor.page.getByTestId("start-run").click();
  expect((await typo).status()).toBe(400);
  await expect(editor.page.getByTestId("control-error")).toHaveText("\u201coops\u201d is not a variable: write name=value, one per line.");

  // An admin takes the right to start away while the page is open.
  const file = join(mkdtempSync(join(tmpdir(), "sluice-policy-")), "no-starts.json");
  writeFileSync(file, JSON.stringify({
    Statement: [{ Effect: "Deny", Action: "codepipeline:StartPipelineExecution", Resource: "*" }],
  }));
  const policy = sluiceCli(["user", "put-policy", EDITOR, "no-starts", file]);
  expect(policy.status, policy.stderr).toBe(0);
  await editor.page.getByTestId("run-variables").fill("");
  const refused = editor.page.waitForResponse((r) => r.url().includes("start_run"));
  await editor.page.getByTestId("start-run").click();
  expect((await refused).status()).toBe(403);
  const message = editor.page.getByTestId("control-error");
  await expect(message).toHaveText(
    `Your permissions do not allow codepipeline:StartPipelineExecution on the pipeline \u201c${PIPELINE}\u201d.`,
  );
  await expect(message).not.toContainText("arn:");
  // The page still shows the run, and now no Start button after a reload.
  await editor.page.reload();
  await expect(editor.page.getByTestId("run-status")).toBeVisible();
  await expect(editor.page.getByTestId("start-run")).toHaveCount(0);

  expectConsoleError(editor.errors, /status of 400/);
  expectConsoleError(editor.errors, /status of 403/);
  await editor.close();
});
