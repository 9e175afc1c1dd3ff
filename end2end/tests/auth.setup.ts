import { expect, test as setup } from "@playwright/test";
import { ADMIN_PASSWORD, ADMIN_STATE, VIEWER_PASSWORD, addUser, signIn } from "./identity";

// Runs once before every other test (a project dependency in playwright.config.ts): adds the users
// the identity tests need with the CLI, then signs in as admin and saves the session cookie that
// every other test starts with.
setup("sign in as admin", async ({ page }) => {
  addUser("viewer", "Viewer", VIEWER_PASSWORD);

  await signIn(page, "admin", ADMIN_PASSWORD);
  await expect(page.getByTestId("signed-in-user")).toHaveText("admin");
  await page.context().storageState({ path: ADMIN_STATE });
});
