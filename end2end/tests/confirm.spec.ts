import { open } from "./api";
import { expect, test } from "./console";
import { addUser, sluiceCli } from "./identity";

// What cannot be undone asks first, in place: revoking a key, deleting a user, deleting a group.
// (Reject is in runs.spec.ts, Stop and abandon in controls.spec.ts.)

test("revoking a key and deleting a user ask first; Cancel changes nothing", async ({ page }) => {
  addUser("doomed", "Viewer", "e2e-doomed-password");
  const key = sluiceCli(["key", "create", "doomed"]);
  expect(key.status, key.stderr).toBe(0);
  const keyId = /AccessKeyId: (\S+)/.exec(key.stdout)![1];

  await open(page, "/admin/users/doomed");
  const row = page.locator(`[data-testid="key-row"][data-key="${keyId}"]`);
  await row.getByTestId("revoke-key").click();
  await expect(row.getByTestId("confirm")).toContainText(`Revoke ${keyId}?`);
  await row.getByTestId("confirm-no").click();
  await expect(row.getByTestId("confirm")).toHaveCount(0);
  await expect(row).toContainText("Active");
  await row.getByTestId("revoke-key").click();
  await row.getByTestId("confirm-yes").click();
  await expect(row).toContainText("Revoked");

  await page.getByTestId("delete-user").click();
  await expect(page.getByTestId("user-settings").getByTestId("confirm")).toContainText("Delete the user doomed?");
  await page.getByTestId("user-settings").getByTestId("confirm-yes").click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByText("doomed", { exact: true })).toHaveCount(0);
});

test("deleting a group asks first", async ({ page }) => {
  const made = sluiceCli(["group", "create", "doomed-group"]);
  expect(made.status === 0 || made.stderr.includes("already exists"), made.stderr).toBeTruthy();
  await open(page, "/admin/groups");
  const card = page.locator('[data-testid="group-card"][data-group="doomed-group"]');
  await card.getByTestId("delete-group").click();
  await expect(card.getByTestId("confirm")).toContainText("Delete the group doomed-group?");
  await card.getByTestId("confirm-yes").click();
  await expect(card).toHaveCount(0);
});
