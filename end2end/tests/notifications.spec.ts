import { callApi, open, postApi, s3SourcePipeline, approvalAction } from "./api";
import { expect, expectConsoleError, test } from "./console";
import { VIEWER_PASSWORD, pageOf } from "./identity";

// Who is told what: a user gives their address on the account page, turns on "Notify me on
// failure" on a pipeline, and the Notifications page shows the rule and topic that made, with the
// pending confirmation e-mail in the delivery log (this server has no SMTP server, so it waits).
// A Viewer sees the rules and topics but not the deliveries. The pipeline is deleted afterwards
// (pipelines.spec.ts expects a server without pipelines).

const PIPELINE = "notify-deploy";

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  await postApi(request, "DeletePipeline", { name: PIPELINE });
});

test("an address, a switch on the pipeline, and the rule, topic and delivery it made", async ({ page, request, consoleErrors }) => {
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(PIPELINE, "notify-src", [{ name: "Gate", actions: [approvalAction("Release", "Ship?")] }]),
  });

  // Without an address the switch asks for one.
  await open(page, `/pipelines/${PIPELINE}`);
  await expect(page.getByTestId("watch-needs-email")).toBeVisible();

  await open(page, "/account");
  // The browser checks the field's form first; the server refuses what gets past it.
  await page.getByTestId("email").fill("admin@localhost");
  await page.getByTestId("save-email").click();
  await expect(page.getByTestId("admin-error")).toContainText("is not an e-mail address");
  expectConsoleError(consoleErrors, /status of 400/);
  await page.getByTestId("email").fill("admin@example.com");
  await page.getByTestId("save-email").click();
  await expect(page.getByTestId("email-saved")).toContainText("Saved");

  await open(page, `/pipelines/${PIPELINE}`);
  const watch = page.getByTestId("watch");
  await expect(watch).toHaveAttribute("data-state", "Off");
  await page.getByTestId("watch-toggle").check();
  await expect(watch).toHaveAttribute("data-state", "Pending");
  await expect(page.getByTestId("watch-note")).toHaveText("confirm from the e-mail sent to admin@example.com");
  // The state is the server's, not the page's: it holds after a reload.
  await open(page, `/pipelines/${PIPELINE}`);
  await expect(page.getByTestId("watch")).toHaveAttribute("data-state", "Pending");

  await open(page, "/notifications");
  const rule = page.locator('[data-testid="rule"]', { hasText: `failures-${PIPELINE}-` });
  await expect(rule.getByTestId("rule-pattern")).toContainText(`"${PIPELINE}"`);
  await expect(rule.getByTestId("rule-pattern")).toContainText('"FAILED"');
  await expect(rule.getByTestId("rule-state")).toHaveText("Enabled");
  const topic = page.locator('[data-testid="topic"]', { hasText: `failures-${PIPELINE}-` });
  await expect(topic.getByTestId("subscription")).toContainText("admin@example.com");
  await expect(topic.getByTestId("subscription-state")).toHaveText("Pending confirmation");
  await expect(page.locator('[data-testid="delivery"]', { hasText: `failures-${PIPELINE}-` })).not.toHaveCount(0);

  // Off again: the subscription goes, the rule stays for other watchers.
  await open(page, `/pipelines/${PIPELINE}`);
  await page.getByTestId("watch-toggle").uncheck();
  await expect(page.getByTestId("watch")).toHaveAttribute("data-state", "Off");
  await open(page, "/notifications");
  await expect(page.locator('[data-testid="topic"]', { hasText: `failures-${PIPELINE}-` })).toContainText("No subscriptions");
});

test("a Viewer sees rules and topics but not the delivery log", async ({ browser }) => {
  const viewer = await pageOf(browser, "viewer", VIEWER_PASSWORD);
  await open(viewer.page, "/notifications");
  await expect(viewer.page.locator('[data-testid="rule"]', { hasText: `failures-${PIPELINE}-` })).toBeVisible();
  await expect(viewer.page.getByRole("heading", { name: "Topics" })).toBeVisible();
  await expect(viewer.page.getByTestId("deliveries")).toHaveCount(0);
  await expect(viewer.page.getByTestId("replay")).toHaveCount(0);
  await viewer.close();
});
