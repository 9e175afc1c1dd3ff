import { expect, test } from "./console";
import { open, postApi } from "./api";
import { ADMIN_PASSWORD, VIEWER_PASSWORD, signIn } from "./identity";

// These tests change no pipelines: pipelines.spec.ts expects to start with none.

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("pages send you to sign in, and a wrong password is refused", async ({ page }) => {
    await page.goto("/new");
    await expect(page).toHaveURL(/\/signin\?next=\/new/);
    await page.getByTestId("signin-username").fill("admin");
    await page.getByTestId("signin-password").fill("not-the-password");
    await page.getByTestId("signin-submit").click();
    await expect(page.getByTestId("signin-error")).toBeVisible();

    await page.getByTestId("signin-username").fill("admin");
    await page.getByTestId("signin-password").fill(ADMIN_PASSWORD);
    await page.getByTestId("signin-submit").click();
    await expect(page).toHaveURL(/\/new$/);
    await expect(page.getByTestId("signed-in-user")).toHaveText("admin");

    await page.getByTestId("sign-out").click();
    await expect(page).toHaveURL(/\/signin/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/signin/);
  });

  test("the API refuses an unsigned request without a session", async ({ request }) => {
    const response = await postApi(request, "ListPipelines", {});
    expect(response.status()).toBe(400);
    expect((await response.json()).__type).toBe("MissingAuthenticationTokenException");
  });

  test("a Viewer cannot see Save on the creation page, and the server refuses it anyway", async ({ page }) => {
    await signIn(page, "viewer", VIEWER_PASSWORD);
    await page.goto("/new");
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
    await expect(page.getByTestId("create-not-allowed")).toBeVisible();
    await expect(page.getByTestId("save-button")).toHaveCount(0);
    await page.goto("/new/json");
    await expect(page.getByTestId("create-not-allowed")).toBeVisible();
    await expect(page.getByTestId("create-button")).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Audit" })).toHaveCount(0);

    const refused = await postApi(page.request, "CreatePipeline", { pipeline: { name: "viewer-was-here" } });
    expect((await refused.json()).__type).toBe("AccessDeniedException");
  });
});

test("the audit page lists who did what", async ({ page }) => {
  const listed = await postApi(page.request, "ListPipelines", {});
  expect(listed.ok()).toBeTruthy();

  // Reads are listed when asked for; each question is a filter, as pages hold 100 records.
  const rows = page.getByTestId("audit-row");
  await open(page, "/audit?user=admin&reads=1");
  await expect(rows.filter({ hasText: "arn:aws:iam::000000000000:user/admin" }).filter({ hasText: "ListPipelines" }).first()).toBeVisible();
  await open(page, "/audit?user=viewer");
  await expect(rows.filter({ hasText: "AccessDeniedException" }).first()).toContainText("CreatePipeline");
  // Sign-ins are recorded as CloudTrail names them, the failed one from the first test included.
  await expect(rows.filter({ hasText: "ConsoleLogin" }).first()).toContainText("Success");
  await open(page, "/audit?operation=ConsoleLogin&outcome=Failure");
  await expect(rows.filter({ hasText: "Failed authentication" }).first()).toBeVisible();

  await page.goto("/audit?outcome=Failure");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await expect(page.getByTestId("audit-row").filter({ hasText: "Success" })).toHaveCount(0);
});
