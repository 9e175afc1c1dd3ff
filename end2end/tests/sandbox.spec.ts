import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "./api";
import { expect, test, watchConsole } from "./console";
import { ADMIN_PASSWORD, signIn } from "./identity";

test("no warning while pipeline code runs in the sandbox", async ({ page }) => {
  await open(page, "/");
  await expect(page.getByTestId("signed-in-user")).toBeVisible();
  await expect(page.getByTestId("sandbox-banner")).toHaveCount(0);
});

test("every page warns when an admin turned the sandbox off", async ({ browser }) => {
  // A second Sluice of its own, started the way an admin would turn the sandbox off.
  const port = Number(process.env.SLUICE_E2E_PORT ?? 3123) + 1;
  const bin = process.env.SLUICE_BIN ?? "../target/debug/sluice";
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-e2e-off-"));
  const server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir, "--sandbox", "off"], {
    env: { ...process.env, SLUICE_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: "ignore",
  });
  try {
    await expect(async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).ok).toBeTruthy()).toPass({ timeout: 30_000 });
    const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}`, storageState: undefined });
    const page = await context.newPage();
    const errors = watchConsole(page);
    await signIn(page, "admin", ADMIN_PASSWORD);
    for (const path of ["/", "/approvals", "/new"]) {
      await open(page, path);
      await expect(page.getByTestId("sandbox-banner")).toContainText("The sandbox is off");
      await expect(page.getByTestId("sandbox-banner")).toHaveAttribute("role", "alert");
    }
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    server.kill();
  }
});
