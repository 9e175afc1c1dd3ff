import { expect, expectConsoleError, test } from "./console";
import { open } from "./api";
import { ADMIN_PASSWORD, VIEWER_PASSWORD, signIn } from "./identity";

// Users made here have names no other spec uses; no pipelines are created. Each test signs in
// itself: signing out must not end the session the other specs share.
test.use({ storageState: { cookies: [], origins: [] } });

test("an admin adds an Approver with a key, who then signs in without the admin pages", async ({ page, consoleErrors }) => {
  await signIn(page, "admin", ADMIN_PASSWORD);
  await expect(page.getByTestId("admin-link")).toBeVisible();
  await open(page, "/admin/users");
  await page.getByTestId("new-user-name").fill("release-approver");
  await page.getByTestId("new-user-role").selectOption("Approver");
  await page.getByTestId("add-user").click();
  const password = (await page.getByTestId("new-password-value").textContent()) ?? "";
  expect(password.length).toBeGreaterThanOrEqual(16);
  const row = page.locator('[data-testid="user-row"][data-user="release-approver"]');
  await expect(row.getByTestId("user-role")).toHaveText("Approver");

  await row.getByRole("link", { name: "release-approver" }).click();
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  await page.getByTestId("create-key").click();
  const secret = (await page.getByTestId("new-key-secret").textContent()) ?? "";
  const keyId = (await page.getByTestId("new-key-id").textContent()) ?? "";
  expect(secret).toHaveLength(40);
  await expect(page.locator(`[data-testid="key-row"][data-key="${keyId}"]`)).toContainText("Active");
  // Copy puts the secret on the clipboard (no inline script: the page's CSP forbids those).
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.getByTestId("copy-secret").click();
  await expect(page.getByTestId("copy-secret")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  // The secret was in that one answer only: a reload lists the key without it.
  await page.reload();
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  await expect(page.locator(`[data-testid="key-row"][data-key="${keyId}"]`)).toBeVisible();
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // A policy the parser refuses is refused with its reason, and nothing is stored.
  await page.getByTestId("policy-name").fill("broken");
  await page.getByTestId("policy-document").fill('{"Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}');
  await page.getByTestId("save-policy").click();
  await expect(page.getByTestId("policies-panel").getByTestId("admin-error")).toContainText("Effect");
  await expect(page.getByTestId("policy-row")).toHaveCount(0);
  expectConsoleError(consoleErrors, /status of 400/);

  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, "release-approver", password);
  await expect(page.getByTestId("signed-in-user")).toHaveText("release-approver");
  await expect(page.getByTestId("admin-link")).toHaveCount(0);
  await open(page, "/admin/users");
  await expect(page.getByTestId("admin-error")).toContainText("iam:ListUsers");

  // Every role manages its own keys.
  await open(page, "/account");
  await expect(page.locator(`[data-testid="key-row"][data-key="${keyId}"]`)).toBeVisible();
});

test.describe("as a Viewer", () => {
  test("posting to an admin server function directly is refused by the server", async ({ page, baseURL }) => {
    await signIn(page, "viewer", VIEWER_PASSWORD);
    const refused = await page.request.post("/api/admin/create_user", {
      headers: { Origin: baseURL ?? "" },
      form: { name: "viewer-made-admin", role: "Admin", password: "a-long-password" },
    });
    expect(refused.ok()).toBeFalsy();
    expect(await refused.text()).toContain("iam:CreateUser");

    const keyForAdmin = await page.request.post("/api/admin/create_access_key", {
      headers: { Origin: baseURL ?? "" },
      form: { user: "admin" },
    });
    expect(keyForAdmin.ok()).toBeFalsy();
    expect(await keyForAdmin.text()).toContain("iam:CreateAccessKey");
  });
});
