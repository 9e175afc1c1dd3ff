import { approvalAction, callApi, commandsAction, open, postApi, s3SourcePipeline } from "./api";
import { expect, test } from "./console";

// Big pipelines' edit pages, loaded again and again: each load must hydrate without a console
// error (a hydration panic showed on most loads of a 12-stage pipeline). The versions diff shows
// the values that changed, not only the fields' names. The pipelines are deleted afterwards
// (pipelines.spec.ts expects a server without pipelines).

const NAMES = ["big-twelve-stages", "big-wide-stages"];
const LOADS = 6;

test.afterAll(async ({ request }) => {
  for (const name of NAMES) await postApi(request, "DeletePipeline", { name });
});

/** Source and eleven more stages of `width` parallel actions each; the last is an approval. */
function big(name: string, width: number, question: string) {
  const stages = Array.from({ length: 10 }, (_, s) => ({
    name: `Stage${s + 1}WithARatherLongName`,
    actions: Array.from({ length: width }, (_, a) => commandsAction(`Action${a + 1}OfStage${s + 1}`, [`echo ${s}-${a}`])),
  }));
  return s3SourcePipeline(name, `${name}-missing`, [...stages, { name: "Release", actions: [approvalAction("Approve", question)] }]);
}

test("big pipelines' edit pages load many times without a console error, and diff by value", async ({ page, request }) => {
  test.setTimeout(120_000);
  await callApi(request, "CreatePipeline", { pipeline: big(NAMES[0], 1, "Ship it?") });
  await callApi(request, "CreatePipeline", { pipeline: big(NAMES[1], 4, "Ship it?") });
  await callApi(request, "UpdatePipeline", { pipeline: { ...big(NAMES[0], 1, "Ship it now?"), version: 1 } });

  for (let load = 0; load < LOADS; load++) {
    for (const name of NAMES) {
      await open(page, `/pipelines/${name}/edit`);
      await expect(page.getByTestId("stage")).toHaveCount(12);
    }
  }

  // Version 1 against 2 of the first: the approval's question, before and after.
  await open(page, `/pipelines/${NAMES[0]}/edit`);
  const versions = page.getByTestId("versions");
  await expect(versions.getByTestId("diff-from")).toHaveValue("1");
  await expect(versions.getByTestId("diff-to")).toHaveValue("2");
  const field = versions.locator('[data-testid="diff-field"][data-path="configuration.CustomData"]');
  await expect(field.getByTestId("diff-before")).toHaveText("Ship it?");
  await expect(field.getByTestId("diff-after")).toHaveText("Ship it now?");
  await expect(versions.getByTestId("diff-field")).toHaveCount(1);
});
