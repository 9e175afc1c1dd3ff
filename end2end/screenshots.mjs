// Takes screenshots of Sluice's main pages at 1440 and 390 px into the folder given as the first
// argument, against the server at $SLUICE_URL (signed in as admin with $SLUICE_ADMIN_PASSWORD),
// after creating a few pipelines and runs there. scripts/screenshots starts that server.
import { chromium } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
const base = process.env.SLUICE_URL;
const password = process.env.SLUICE_ADMIN_PASSWORD;
if (!out || !base || !password) throw new Error("usage: SLUICE_URL=... SLUICE_ADMIN_PASSWORD=... node screenshots.mjs OUT_DIR");
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ baseURL: base });

async function hydrated(path) {
  await page.goto(path);
  await page.locator('main[data-hydrated="true"]').waitFor();
}

/** Calls the CodePipeline API with the page's session; throws on an error answer. */
async function api(operation, body) {
  const response = await page.request.post("/", {
    headers: { "X-Amz-Target": `CodePipeline_20150709.${operation}`, "Content-Type": "application/x-amz-json-1.1" },
    data: JSON.stringify(body),
  });
  if (!response.ok()) throw new Error(`${operation}: ${await response.text()}`);
  return response.json();
}

/** Polls `read` until it returns something truthy. */
async function until(what, read) {
  for (let i = 0; i < 150; i++) {
    const value = await read();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const status = async (name, id) => (await api("GetPipelineExecution", { pipelineName: name, pipelineExecutionId: id })).pipelineExecution.status;
const firstRun = async (name) => (await api("ListPipelineExecutions", { pipelineName: name })).pipelineExecutionSummaries.at(-1).pipelineExecutionId;
const waitingToken = (name) => until(`${name}'s approval`, async () => {
  const state = await api("GetPipelineState", { name });
  return state.stageStates.flatMap((s) => s.actionStates).find((a) => a.latestExecution?.status === "InProgress" && a.latestExecution?.token)?.latestExecution.token;
});

// Sign in, and a source archive in Sluice's object store.
await page.goto("/signin");
await page.locator('[data-testid="signin-username"]').fill("admin");
await page.locator('[data-testid="signin-password"]').fill(password);
await page.locator('[data-testid="signin-submit"]').click();
await page.locator('main[data-hydrated="true"]').waitFor();
const zip = spawnSync("python3", ["-c", "import io,sys,zipfile\nb=io.BytesIO()\nwith zipfile.ZipFile(b,'w') as z: z.writestr('app.txt','hello')\nsys.stdout.buffer.write(b.getvalue())"]).stdout;
const upload = await page.request.put("/objects/shots-src/app.zip", { headers: { Origin: base }, data: zip });
if (upload.status() !== 201) throw new Error(`upload: ${await upload.text()}`);

const commands = (name, lines, runOrder = 1) => ({
  name, runOrder, inputArtifacts: [{ name: "Src" }], commands: lines,
  actionTypeId: { category: "Compute", owner: "AWS", provider: "Commands", version: "1" },
});
const pipeline = (name, stages) => ({
  name, pipelineType: "V2", roleArn: "arn:aws:iam::000000000000:role/pipeline", artifactStore: { type: "S3", location: "artifacts" },
  stages: [{ name: "Source", actions: [{
    name: "Source", actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
    configuration: { S3Bucket: "shots-src", S3ObjectKey: "app.zip", PollForSourceChanges: "false" }, outputArtifacts: [{ name: "Src" }],
  }] }, ...stages],
});

// web-release: built, tested, approved, deployed; one run rejected, the next waiting for approval.
await api("CreatePipeline", { pipeline: pipeline("web-release", [
  { name: "Build", actions: [commands("Compile", ["echo compiling", "for i in $(seq 1 20); do echo built module $i; done"]), commands("UnitTests", ["echo 48 tests passed"], 2)] },
  { name: "Approve", actions: [{ name: "Release", actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" }, configuration: { CustomData: "Ship the release to production?" } }] },
  { name: "Deploy", actions: [commands("Ship", ["echo shipped"])] },
]) });
const rejected = await firstRun("web-release");
await api("PutApprovalResult", { pipelineName: "web-release", stageName: "Approve", actionName: "Release", token: await waitingToken("web-release"), result: { status: "Rejected", summary: "wait for the freeze to end" } });
await until("the rejection", async () => (await status("web-release", rejected)) === "Failed");
await api("StartPipelineExecution", { name: "web-release" });
await waitingToken("web-release");

// nightly-tests: fails in its tests.
await api("CreatePipeline", { pipeline: pipeline("nightly-tests", [
  { name: "Test", actions: [commands("IntegrationTests", ["echo running 12 tests", "echo 'assertion failed: expected 200, got 503' >&2; exit 1"])] },
]) });
const failed = await firstRun("nightly-tests");
await until("the failure", async () => (await status("nightly-tests", failed)) === "Failed");
const actions = await api("ListActionExecutions", { pipelineName: "nightly-tests" });
const testsRun = actions.actionExecutionDetails.find((a) => a.actionName === "IntegrationTests").actionExecutionId;

const pages = [
  ["pipelines", "/"],
  ["run", "/pipelines/web-release"],
  ["failed-run", "/pipelines/nightly-tests"],
  ["log", `/pipelines/nightly-tests/executions/${failed}/logs/${testsRun}`],
  ["history", "/pipelines/web-release/history"],
  ["editor", "/pipelines/web-release/edit"],
  ["approvals", "/approvals"],
  ["audit", "/audit"],
];
for (const width of [1440, 390]) {
  await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
  for (const [name, path] of pages) {
    await hydrated(path);
    // Live views draw after hydration (their streams never go idle): give them a moment.
    await page.waitForTimeout(1_500);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(out, `${name}-${width}.png`), animations: "disabled" });
    console.log(`${name}-${width}.png`);
  }
}
await browser.close();
