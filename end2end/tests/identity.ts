import { expect, type Browser, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { watchConsole } from "./console";

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

/** Runs the `sluice` CLI on the test server's data dir, as an admin on its machine would. */
export function sluiceCli(args: string[], env: Record<string, string> = {}) {
  const bin = process.env.SLUICE_BIN ?? "../target/debug/sluice";
  return spawnSync(bin, args, {
    env: { ...process.env, SLUICE_DATA_DIR: process.env.SLUICE_E2E_DATA_DIR, ...env },
    encoding: "utf8",
  });
}

/** Adds a user with the CLI; a retried test finds them already there. */
export function addUser(name: string, role: string, password: string) {
  const added = sluiceCli(["user", "add", name, "--role", role], { SLUICE_USER_PASSWORD: password });
  expect(added.status === 0 || added.stderr.includes("already exists"), added.stderr).toBeTruthy();
}

/**
 * Signs `user` in on a browser context of their own. Its console errors are collected in `errors`
 * (take out the ones a test provokes with `expectConsoleError`); `close` fails the test on the rest.
 */
export async function pageOf(browser: Browser, user: string, password: string) {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await signIn(page, user, password);
  const close = async () => {
    await context.close();
    expect(errors, `console errors of ${user}'s page`).toEqual([]);
  };
  return { page, errors, close };
}
