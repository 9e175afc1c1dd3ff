import { open } from "./api";
import { expect, test } from "./console";

// The web bundle reaches the browser compressed, under a versioned path it may cache for a year.

test("the wasm, JS and CSS come compressed, versioned and cached for good", async ({ page }) => {
  const assets = new Map<string, Record<string, string>>();
  page.on("response", (response) => {
    if (/\/pkg\/[0-9a-f]{16}\/sluice/.test(response.url())) assets.set(new URL(response.url()).pathname, response.headers());
  });
  await open(page, "/");
  const names = [...assets.keys()].map((path) => path.replace(/^\/pkg\/[0-9a-f]{16}\//, "")).sort();
  expect(names).toEqual(["sluice.css", "sluice.js", "sluice_bg.wasm"]);
  for (const [path, headers] of assets) {
    expect(headers["cache-control"], path).toBe("public, max-age=31536000, immutable");
    // Chromium asks for brotli only over HTTPS; over plain HTTP it gets the gzip copy.
    expect(["br", "gzip"], path).toContain(headers["content-encoding"]);
  }
  // The page and the API are never cached that way.
  const pageResponse = await page.request.get("/");
  expect(pageResponse.headers()["cache-control"] ?? "").not.toContain("immutable");
});
