import { callApi, open, postApi } from "./api";
import { expect, test } from "./console";

// The audit page: reads (Get*, List*) hidden unless asked for, a user found by name, and pages
// of 100 records that neither repeat nor skip one.

test("the audit trail pages, hides reads by default and filters by user name", async ({ page, request }) => {
  // More than a page of reads, and a change (of a pipeline that is not there: recorded all the same).
  for (let i = 0; i < 105; i++) await callApi(request, "ListPipelines", {});
  await postApi(request, "DeletePipeline", { name: "audit-nothing-here" });

  await open(page, "/audit");
  const operations = () => page.getByTestId("audit-operation").allTextContents();
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  expect((await operations()).filter((op) => /^(Get|List)/.test(op))).toEqual([]);
  await expect(page.getByTestId("audit-reads")).not.toBeChecked();

  // A user by name, reads shown: a full page of the admin's calls, then the next one.
  await page.getByTestId("audit-user-filter").fill("admin");
  await page.getByTestId("audit-reads").check();
  await page.getByTestId("audit-apply").click();
  await expect(page).toHaveURL(/user=admin/);
  await expect(page.getByTestId("audit-row")).toHaveCount(100);
  expect(await operations()).toContain("ListPipelines");
  for (const user of await page.getByTestId("audit-user").allTextContents()) expect(user).toBe("arn:aws:iam::000000000000:user/admin");
  const seqs = async () => (await page.getByTestId("audit-row").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-seq")))));
  const first = await seqs();
  await page.getByTestId("audit-older").click();
  await expect(page).toHaveURL(/before=/);
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  const second = await seqs();
  // Newest first, the next page starting below the last record of the one before.
  expect(second[0]).toBeLessThan(first[first.length - 1]);
  const all = [...first, ...second];
  expect(all).toEqual([...all].sort((a, b) => b - a));
  await expect(page.getByTestId("audit-reads")).toBeChecked();
  await expect(page.getByTestId("audit-user-filter")).toHaveValue("admin");

  // Someone who never called anything has no records.
  await open(page, "/audit?user=nobody-at-all&reads=1");
  await expect(page.getByTestId("audit-row")).toHaveCount(0);
});
