// Times the editor's validator inside Chromium's wasm: loads the built bundle from
// SLUICE_SITE_DIR on a page of its own (no server needed) and calls its `bench_validation`
// export, which validates CodePipeline's largest pipeline (50 stages, 500 actions) RUNS times.
// Run through scripts/bench-editor, which builds the release bundle first.
import { chromium } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const site = process.env.SLUICE_SITE_DIR;
if (!site) throw new Error("set SLUICE_SITE_DIR to the built site (scripts/bench-editor does)");
const runs = Number(process.env.RUNS ?? 200);
const origin = "http://bench.invalid";
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  // Every request is answered from the site dir; the page itself is empty.
  await page.route(`${origin}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === "/") return route.fulfill({ contentType: types[".html"], body: "<!doctype html><title>bench</title>" });
    const type = types[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
    return route.fulfill({ contentType: type, body: await readFile(join(site, path)) });
  });
  await page.goto(`${origin}/`);
  const result = await page.evaluate(async (runs) => {
    const bundle = await import("/pkg/sluice.js");
    await bundle.default();
    bundle.bench_validation(20); // warm-up: first calls pay for instantiation and allocation
    return JSON.parse(bundle.bench_validation(runs));
  }, runs);
  const browserVersion = browser.version();
  console.log(
    `validate in Chromium ${browserVersion} wasm: ${result.stages} stages, ${result.actions} actions: ` +
      `fastest ${result.fastest_ms.toFixed(3)} ms, median ${result.median_ms.toFixed(3)} ms, ` +
      `p95 ${result.p95_ms.toFixed(3)} ms over ${result.runs} runs`,
  );
} finally {
  await browser.close();
}
