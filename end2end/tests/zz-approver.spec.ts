import { expect, test } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { callApi } from "./api";
import { signIn } from "./identity";

// An Approver answers a pending approval from the inbox, the run goes on, and the audit trail
// names them. Named to run last: pipelines.spec.ts needs a server without pipelines, and this
// file leaves one behind.

const PIPELINE = "approver-gate";
const APPROVER = "approver";
const APPROVER_PASSWORD = "e2e-approver-password";

/** Source (S3) → Approve (manual approval `Release`) → Deploy. */
function gatedPipeline() {
  return {
    name: PIPELINE,
    roleArn: "arn:aws:iam::000000000000:role/pipeline",
    artifactStore: { type: "S3", location: "artifacts" },
    pipelineType: "V2",
    stages: [
      {
        name: "Source",
        actions: [{
          name: "Source",
          actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
          configuration: { S3Bucket: "gate-src", S3ObjectKey: "app.zip", PollForSourceChanges: "false" },
          outputArtifacts: [{ name: "Src" }],
        }],
      },
      {
        name: "Approve",
        actions: [{ name: "Release", actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" } }],
      },
      {
        name: "Deploy",
        actions: [{
          name: "Ship",
          actionTypeId: { category: "Compute", owner: "AWS", provider: "Commands", version: "1" },
          commands: ["echo shipped"],
          inputArtifacts: [{ name: "Src" }],
        }],
      },
    ],
  };
}

/** A zip of one small file, made by Python's zipfile (no zip package in node_modules). */
function sourceZip(): Buffer {
  const script = "import io,sys,zipfile\nb=io.BytesIO()\nwith zipfile.ZipFile(b,'w') as z: z.writestr('app.txt','hello')\nsys.stdout.buffer.write(b.getvalue())";
  const made = spawnSync("python3", ["-c", script]);
  expect(made.status, made.stderr.toString()).toBe(0);
  return made.stdout;
}

test("an Approver answers from the inbox, the run goes on, and the audit names them", async ({ page, request, browser, baseURL }) => {
  const bin = process.env.SLUICE_BIN ?? "../target/debug/sluice";
  const added = spawnSync(bin, ["user", "add", APPROVER, "--role", "Approver"], {
    env: { ...process.env, SLUICE_DATA_DIR: process.env.SLUICE_E2E_DATA_DIR, SLUICE_USER_PASSWORD: APPROVER_PASSWORD },
    encoding: "utf8",
  });
  // A retried test finds the user already there.
  expect(added.status === 0 || added.stderr.includes("already exists"), added.stderr).toBeTruthy();

  // As admin: the source, then the pipeline, whose first run stops at the approval.
  const upload = await request.put("/objects/gate-src/app.zip", { data: sourceZip(), headers: { Origin: baseURL ?? "" } });
  expect(upload.status(), await upload.text()).toBe(201);
  await callApi(request, "CreatePipeline", { pipeline: gatedPipeline() });
  const listed = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  const executionId: string = listed.pipelineExecutionSummaries[0].pipelineExecutionId;

  const approverContext = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const approver = await approverContext.newPage();
  await signIn(approver, APPROVER, APPROVER_PASSWORD);
  await approver.goto("/approvals");
  await expect(approver.locator("main")).toHaveAttribute("data-hydrated", "true");
  const item = approver.locator(`[data-testid="approval-item"][data-execution="${executionId}"]`);
  await expect(item).toBeVisible({ timeout: 20_000 });
  await item.getByTestId("approval-comment").fill("approved by the approver");
  await item.getByTestId("approve").click();
  await expect(item).toHaveCount(0);
  await approverContext.close();

  await expect
    .poll(async () => (await callApi(request, "GetPipelineExecution", { pipelineName: PIPELINE, pipelineExecutionId: executionId })).pipelineExecution.status, { timeout: 20_000 })
    .toBe("Succeeded");

  await page.goto("/audit");
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  const answered = page.getByTestId("audit-row").filter({ hasText: "PutApprovalResult" }).filter({ hasText: `arn:aws:iam::000000000000:user/${APPROVER}` });
  await expect(answered.first()).toBeVisible();
  await expect(answered.first()).toContainText("Success");
});
