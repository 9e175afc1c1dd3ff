import { approvalAction, callApi, commandsAction, s3SourcePipeline, sourceZip, uploadSource } from "./api";
import { expect, test } from "./console";
import { addUser, pageOf } from "./identity";

// An Approver answers a pending approval from the inbox, the run goes on, and the audit trail
// names them. Named to run last: pipelines.spec.ts needs a server without pipelines, and this
// file leaves one behind.

const PIPELINE = "approver-gate";
const APPROVER = "approver";
const APPROVER_PASSWORD = "e2e-approver-password";

/** Source (S3) → Approve (manual approval `Release`) → Deploy. */
function gatedPipeline() {
  return s3SourcePipeline(PIPELINE, "gate-src", [
    { name: "Approve", actions: [approvalAction("Release", "Ship it?")] },
    { name: "Deploy", actions: [commandsAction("Ship", ["echo shipped"])] },
  ]);
}

test("an Approver answers from the inbox, the run goes on, and the audit names them", async ({ page, request, browser, baseURL }) => {
  addUser(APPROVER, "Approver", APPROVER_PASSWORD);

  // As admin: the source, then the pipeline, whose first run stops at the approval.
  await uploadSource(request, baseURL, "gate-src", sourceZip());
  await callApi(request, "CreatePipeline", { pipeline: gatedPipeline() });
  const listed = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  const executionId: string = listed.pipelineExecutionSummaries[0].pipelineExecutionId;

  const { page: approver, close } = await pageOf(browser, APPROVER, APPROVER_PASSWORD);
  await approver.goto("/approvals");
  await expect(approver.locator("main")).toHaveAttribute("data-hydrated", "true");
  const item = approver.locator(`[data-testid="approval-item"][data-execution="${executionId}"]`);
  await expect(item).toBeVisible({ timeout: 20_000 });
  await item.getByTestId("approval-comment").fill("approved by the approver");
  await item.getByTestId("approve").click();
  await expect(item).toHaveCount(0);
  await close();

  await expect
    .poll(async () => (await callApi(request, "GetPipelineExecution", { pipelineName: PIPELINE, pipelineExecutionId: executionId })).pipelineExecution.status, { timeout: 20_000 })
    .toBe("Succeeded");

  await page.goto("/audit");
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  const answered = page.getByTestId("audit-row").filter({ hasText: "PutApprovalResult" }).filter({ hasText: `arn:aws:iam::000000000000:user/${APPROVER}` });
  await expect(answered.first()).toBeVisible();
  await expect(answered.first()).toContainText("Success");
});
