import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// scripts/test builds Sluice and exports SLUICE_BIN and SLUICE_SITE_DIR; each run gets an empty data dir.
// The environment carries it to the workers, which load this file again, and to the sign-in setup.
const bin = process.env.SLUICE_BIN ?? "../target/debug/sluice";
const dataDir = (process.env.SLUICE_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "sluice-e2e-")));
const port = Number(process.env.SLUICE_E2E_PORT ?? 3123);
const adminPassword = (process.env.SLUICE_ADMIN_PASSWORD ??= "e2e-admin-password");

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  // "setup" signs in once (tests/auth.setup.ts); every test then starts with the admin's session.
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/ },
    { name: "chromium", dependencies: ["setup"], use: { storageState: ".auth/admin.json" } },
  ],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download cannot work on these machines.
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `${bin} serve --addr 127.0.0.1:${port} --data-dir ${dataDir}`,
    env: { SLUICE_ADMIN_PASSWORD: adminPassword },
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
  },
});
