import { chromium } from "playwright-core";
const [base, out, user, pass] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
for (const width of [1440, 390]) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(base + "/signin");
  await page.getByTestId("signin-username").fill(user);
  await page.getByTestId("signin-password").fill(pass);
  await page.getByTestId("signin-submit").click();
  await page.waitForSelector('main[data-hydrated="true"]');
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${out}-${width}.png` });
  console.log(width, "errors:", JSON.stringify(errors));
  await page.close();
}
await browser.close();
