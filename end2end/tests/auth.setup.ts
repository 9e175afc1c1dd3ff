import { expect, test as setup } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { ADMIN_PASSWORD, ADMIN_STATE, VIEWER_PASSWORD, signIn } from "./identity";

// Runs once before every other test (a project dependency in playwright.config.ts): adds the users
// the identity tests need with the CLI, then signs in as admin and saves the session cookie that
// every other test starts with.
setup("sign in as admin", async ({ page }) => {
  const bin = process.env.SLUICE_BIN ?? "../target/debug/sluice";
  const added = spawnSync(bin, ["user", "add", "viewer", "--role", "Viewer"], {
    env: { ...process.env, SLUICE_DATA_DIR: process.env.SLUICE_E2E_DATA_DIR, SLUICE_USER_PASSWORD: VIEWER_PASSWORD },
    encoding: "utf8",
  });
  // A retried setup finds the user already there.
  expect(added.status === 0 || added.stderr.includes("already exists"), added.stderr).toBeTruthy();

  await signIn(page, "admin", ADMIN_PASSWORD);
  await expect(page.getByTestId("signed-in-user")).toHaveText("admin");
  await page.context().storageState({ path: ADMIN_STATE });
});
