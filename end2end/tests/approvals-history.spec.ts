import { type Browser } from "@playwright/test";
import { approvalAction, callApi, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForExecution } from "./api";
import { expect, test } from "./console";
import { addUser, pageOf } from "./identity";

// A manual approval with RequiredApprovals 2: one approver's answer leaves it waiting (and hides
// their Approve button), a second user's completes it, and the approvals history lists both.
// The pipeline is deleted at the end (pipelines.spec.ts expects a server without pipelines); its
// history stays.

const PIPELINE = "two-approvers";
const PASSWORD = "e2e-two-approvers-password";

function addApprover(name: string) {
  addUser(name, "Approver", PASSWORD);
}

/** Source, then an approval that needs two distinct approvers. */
function pipeline() {
  const release = approvalAction("Release", "Two of you, please");
  return s3SourcePipeline(PIPELINE, "two-approvers-src", [
    { name: "Approve", actions: [{ ...release, configuration: { ...release.configuration, RequiredApprovals: "2" } }] },
  ]);
}

/** Signs `user` in on a fresh browser context and approves the execution's item from the inbox. */
async function approveAs(browser: Browser, user: string, executionId: string, comment: string, expected: { before: string; after: string | null }) {
  const { page, close } = await pageOf(browser, user, PASSWORD);
  await page.goto("/approvals");
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  const item = page.locator(`[data-testid="approval-item"][data-execution="${executionId}"]`);
  await expect(item).toBeVisible({ timeout: 20_000 });
  await expect(item.getByTestId("approval-progress")).toHaveText(expected.before);
  await item.getByTestId("approval-comment").fill(comment);
  await item.getByTestId("approve").click();
  if (expected.after === null) {
    await expect(item).toHaveCount(0);
  } else {
    await expect(item.getByTestId("approval-progress")).toHaveText(expected.after);
    await expect(item.getByTestId("approve")).toHaveCount(0);
    await expect(item.getByTestId("cannot-approve")).toContainText("approved this already");
    await expect(item.getByTestId("reject")).toBeVisible();
  }
  await close();
}

test("two approvers are needed and the approvals history shows both decisions", async ({ page, request, browser, baseURL }) => {
  addApprover("ann");
  addApprover("ben");
  await postApi(request, "DeletePipeline", { name: PIPELINE });
  await uploadSource(request, baseURL, "two-approvers-src", sourceZip());
  await callApi(request, "CreatePipeline", { pipeline: pipeline() });
  const listed = await callApi(request, "ListPipelineExecutions", { pipelineName: PIPELINE });
  const executionId: string = listed.pipelineExecutionSummaries[0].pipelineExecutionId;

  await approveAs(browser, "ann", executionId, "looks good", { before: "0 of 2 approvals", after: "1 of 2 approvals (ann)" });
  expect((await callApi(request, "GetPipelineExecution", { pipelineName: PIPELINE, pipelineExecutionId: executionId })).pipelineExecution.status).toBe("InProgress");
  await approveAs(browser, "ben", executionId, "ship it", { before: "1 of 2 approvals (ann)", after: null });
  await waitForExecution(request, PIPELINE, executionId, "Succeeded");

  // The execution view shows both answers on the approval action.
  await page.goto(`/pipelines/${PIPELINE}?execution=${executionId}`);
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  const onRun = page.getByTestId("approval-decision");
  await expect(onRun).toHaveCount(2);
  await expect(onRun.nth(0)).toContainText("Approved by ann");
  await expect(onRun.nth(1)).toContainText("ship it");

  // The history, newest first, also after the pipeline is gone; the filters narrow it.
  await callApi(request, "DeletePipeline", { name: PIPELINE });
  await page.goto(`/approvals/history?pipeline=${PIPELINE}`);
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  const rows = page.getByTestId("decision-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute("data-approver", "ben");
  await expect(rows.nth(0)).toContainText("ship it");
  await expect(rows.nth(1)).toHaveAttribute("data-approver", "ann");
  await expect(rows.nth(1)).toContainText("looks good");
  await expect(rows.nth(1)).toContainText("Approved");

  await page.getByTestId("filter-approver").fill("ann");
  await page.getByTestId("filter-apply").click();
  await expect(page).toHaveURL(/approver=ann/);
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0)).toHaveAttribute("data-approver", "ann");
  await page.goto(`/approvals/history?pipeline=${PIPELINE}&result=Rejected`);
  await expect(page.getByTestId("decisions-empty")).toBeVisible();
});
