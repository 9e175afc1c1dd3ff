import { expect, type Page } from "@playwright/test";

// playwright.config.ts gives the server this password for its first admin.
export const ADMIN_PASSWORD = process.env.SLUICE_ADMIN_PASSWORD ?? "e2e-admin-password";
export const VIEWER_PASSWORD = "e2e-viewer-password";
export const ADMIN_STATE = ".auth/admin.json";

/** Signs in through the sign-in page and waits for the app to hydrate. */
export async function signIn(page: Page, user: string, password: string) {
  await page.goto("/signin");
  await page.getByTestId("signin-username").fill(user);
  await page.getByTestId("signin-password").fill(password);
  await page.getByTestId("signin-submit").click();
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
}
