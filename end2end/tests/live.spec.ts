import { type APIRequestContext, type Page } from "@playwright/test";
import net from "node:net";
import {
  approvalAction, callApi, commandsAction, open, postApi, s3SourcePipeline, sourceZip, uploadSource, waitForExecution,
} from "./api";
import { expect, expectConsoleError, test } from "./console";
import { addUser, pageOf } from "./identity";

// Running old executions again (re-run, stage rollback), the timeline, per-stage durations, the
// version diff of a comparison, and a run page that loses its connection mid-run and catches up.
// The pipelines are deleted afterwards: pipelines.spec.ts, which runs later, needs an empty server.

const RERUN = "live-rerun";
const RECONNECT = "live-reconnect";

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ request }) => {
  for (const name of [RERUN, RECONNECT]) {
    await postApi(request, "DeletePipeline", { name });
  }
});

/** Source → Build (prints the source file) → Deploy, with a variable. */
function rerunPipeline(deployLines = ["echo deployed"]) {
  return {
    ...s3SourcePipeline(RERUN, "rerun-src", [
      { name: "Build", actions: [commandsAction("Compile", ["cat app.txt", "sleep 1"])] },
      { name: "Deploy", actions: [commandsAction("Ship", deployLines)] },
    ]),
    variables: [{ name: "TARGET", defaultValue: "staging" }],
  };
}

async function start(request: APIRequestContext, name: string, variables: { name: string; value: string }[] = []) {
  return (await callApi(request, "StartPipelineExecution", { name, variables })).pipelineExecutionId as string;
}

async function newestExecution(request: APIRequestContext, pipelineName: string) {
  const listed = await callApi(request, "ListPipelineExecutions", { pipelineName });
  return listed.pipelineExecutionSummaries[0].pipelineExecutionId as string;
}

async function markNotReloaded(page: Page) {
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
}

async function notReloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
}

const stage = (page: Page, name: string) => page.locator(`[data-testid="run-stage"][data-stage="${name}"]`);

// Set by the first test: runs on the first source revision (with TARGET=prod), on the second,
// and the re-run of the first.
let oldRun = "";
let newRun = "";
let rerun = "";

test("re-running an old execution uses its source revisions and variables", async ({ page, request, baseURL }) => {
  // Four executions run one after another, each with a one-second build.
  test.slow();
  const first = await uploadSource(request, baseURL, "rerun-src", sourceZip("first-revision"));
  await callApi(request, "CreatePipeline", { pipeline: rerunPipeline() });
  await waitForExecution(request, RERUN, await newestExecution(request, RERUN), "Succeeded");
  oldRun = await start(request, RERUN, [{ name: "TARGET", value: "prod" }]);
  await waitForExecution(request, RERUN, oldRun, "Succeeded");
  await uploadSource(request, baseURL, "rerun-src", sourceZip("second-revision"));
  newRun = await start(request, RERUN);
  await waitForExecution(request, RERUN, newRun, "Succeeded");

  await open(page, `/pipelines/${RERUN}?execution=${oldRun}`);
  await expect(page.getByTestId("run-revisions")).toContainText(`Source=${first}`);
  await page.getByTestId("rerun").click();
  await expect(page).not.toHaveURL(new RegExp(oldRun));
  rerun = new URL(page.url()).searchParams.get("execution") ?? "";
  await expect(page.getByTestId("run-id")).toHaveText(rerun);
  await expect(page.getByTestId("run-status")).toHaveText("Succeeded", { timeout: 20_000 });
  await expect(page.getByTestId("run-trigger-detail")).toContainText(`re-running ${oldRun}`);
  await expect(page.getByTestId("run-variables-used")).toHaveText("TARGET=prod");
  await expect(page.locator('[data-action="Compile"]').getByTestId("action-log")).toContainText("first-revision");

  const execution = await waitForExecution(request, RERUN, rerun, "Succeeded");
  expect(execution.artifactRevisions).toEqual([expect.objectContaining({ revisionId: first })]);
  expect(execution.variables).toEqual([{ name: "TARGET", resolvedValue: "prod" }]);
  expect(execution.trigger).toEqual({ triggerType: "StartPipelineExecution", triggerDetail: expect.stringContaining(oldRun) });
});

test("the timeline draws each action from start to end, coloured by status", async ({ page }) => {
  await open(page, `/pipelines/${RERUN}?execution=${rerun}`);
  const timeline = page.getByTestId("timeline");
  await expect(timeline.getByTestId("gantt-stage")).toHaveText(["Source", "Build", "Deploy"]);
  const bars = timeline.getByTestId("gantt-bar");
  await expect(bars).toHaveCount(3);
  for (const action of ["Source", "Compile", "Ship"]) {
    const bar = timeline.locator(`[data-testid="gantt-bar"][data-action="${action}"]`);
    await expect(bar).toHaveAttribute("data-status", "Succeeded");
    await expect(bar).toHaveClass(/status-succeeded/);
  }
  // Compile sleeps a second, so it is the widest bar and starts after the source.
  const box = async (action: string) => (await timeline.locator(`[data-action="${action}"]`).boundingBox())!;
  const [source, compile, ship] = [await box("Source"), await box("Compile"), await box("Ship")];
  expect(compile.width).toBeGreaterThan(source.width);
  expect(compile.width).toBeGreaterThan(ship.width);
  expect(compile.x).toBeGreaterThanOrEqual(source.x);
  expect(ship.x).toBeGreaterThan(compile.x);
});

test("the history shows each stage's median and last duration", async ({ page }) => {
  await open(page, `/pipelines/${RERUN}/history`);
  const rows = page.getByTestId("stage-times");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute("data-stage", "Source");
  const build = page.locator('[data-testid="stage-times"][data-stage="Build"]');
  // Every Build sleeps a second.
  const median = parseFloat((await build.getByTestId("stage-median").textContent()) ?? "");
  expect(median).toBeGreaterThanOrEqual(1.0);
  expect(parseFloat((await build.getByTestId("stage-last").textContent()) ?? "")).toBeGreaterThanOrEqual(1.0);
  await expect(build.locator("td").nth(2)).toHaveText("4");
});

test("a stage rolls back to an earlier execution, offered only where it can", async ({ page }) => {
  // The newest execution is the latest in every stage: nothing to roll back to.
  await open(page, `/pipelines/${RERUN}?execution=${rerun}`);
  await expect(page.getByTestId("run-status")).toHaveText("Succeeded");
  await expect(page.getByTestId("rollback")).toHaveCount(0);

  await open(page, `/pipelines/${RERUN}?execution=${newRun}`);
  await expect(stage(page, "Source").getByTestId("rollback")).toHaveCount(0);
  await expect(stage(page, "Build").getByTestId("rollback")).toHaveCount(1);
  await stage(page, "Deploy").getByTestId("rollback").click();
  await expect(page).not.toHaveURL(new RegExp(newRun));
  await expect(page.getByTestId("run-trigger")).toHaveText("ManualRollback");
  await expect(page.getByTestId("run-trigger-detail")).toHaveText(newRun);
  await expect(stage(page, "Deploy")).toHaveAttribute("data-status", "Succeeded", { timeout: 20_000 });
  // A rollback is never itself a target.
  await expect(page.getByTestId("rollback")).toHaveCount(0);
});

test("a user who may not start or roll back sees the run without those controls", async ({ page, browser }) => {
  await open(page, `/pipelines/${RERUN}?execution=${newRun}`);
  await expect(page.getByTestId("rerun")).toHaveCount(1);
  await expect(page.getByTestId("rollback")).toHaveCount(2);

  const [user, password] = ["runview-approver", "runview-approver-password"];
  addUser(user, "Approver", password);
  const { page: approver, close } = await pageOf(browser, user, password);
  await open(approver, `/pipelines/${RERUN}?execution=${newRun}`);
  await expect(approver.getByTestId("run-status")).toHaveText("Succeeded");
  await expect(stage(approver, "Deploy")).toHaveAttribute("data-status", "Succeeded");
  await expect(approver.getByTestId("rerun")).toHaveCount(0);
  await expect(approver.getByTestId("rollback")).toHaveCount(0);
  await close();
});

test("a refused re-run says why and stays on the page", async ({ page, request, consoleErrors }) => {
  await open(page, `/pipelines/${RERUN}?execution=${oldRun}`);
  // Version 2 drops the variable the old execution ran with, and deploys differently.
  const { variables: _dropped, ...changed } = rerunPipeline(["echo deployed-v2"]);
  await callApi(request, "UpdatePipeline", { pipeline: changed });
  await page.getByTestId("rerun").click();
  await expect(page.getByTestId("control-error")).toContainText("TARGET");
  // A request the caller must fix, not a failure of the server.
  expectConsoleError(consoleErrors, /status of 400/);
  await expect(page).toHaveURL(new RegExp(`execution=${oldRun}`));
  // Nor is a stage offered for rollback to an execution of an older version.
  await page.reload();
  await expect(page.getByTestId("run-status")).toHaveText("Succeeded");
  await expect(page.getByTestId("rollback")).toHaveCount(0);
});

test("comparing executions of two pipeline versions shows what changed", async ({ page, request }) => {
  const latest = await start(request, RERUN);
  await waitForExecution(request, RERUN, latest, "Succeeded");
  await open(page, `/pipelines/${RERUN}/compare?a=${oldRun}&b=${latest}`);
  const row = (label: string) => page.locator(`[data-testid="compare-row"][data-label="${label}"]`);
  await expect(row("Pipeline version").locator("td")).toHaveText(["1", "2"]);
  await expect(row("Pipeline version")).toHaveClass(/differs/);
  await expect(row("Source revisions")).toHaveClass(/differs/);
  await expect(row("Variables").locator("td")).toHaveText(["TARGET=prod", ""]);
  const changes = page.getByTestId("compare-versions").getByTestId("diff-item");
  await expect(changes.filter({ hasText: "Ship" })).toContainText("commands");
  await expect(changes.filter({ hasText: "pipeline" })).toContainText("variables");

  // The same version twice: no diff section.
  await page.goto(`/pipelines/${RERUN}/compare?a=${oldRun}&b=${rerun}`);
  await expect(row("Pipeline version").locator("td")).toHaveText(["1", "1"]);
  await expect(page.getByTestId("compare-versions")).toHaveCount(0);
});

/** A TCP proxy in front of the server that can cut every connection and then answer new ones
 * with 502 Bad Gateway, as a reverse proxy does while its upstream is away. (After an error
 * answer the browser's EventSource gives up for good; a network error alone it retries.)
 * Sluice accepts browser changes only from its public URL, so the proxy presents the page's
 * Origin and Referer as that URL, as a reverse proxy in front of Sluice is set up to. */
class FlakyProxy {
  private sockets = new Set<net.Socket>();
  private cut = false;
  private port = 0;
  private server = net.createServer((client) => {
    if (this.cut) {
      client.on("error", () => client.destroy());
      client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    const upstream = net.connect(this.targetPort, "127.0.0.1");
    for (const [socket, other] of [[client, upstream], [upstream, client]]) {
      this.sockets.add(socket);
      socket.on("error", () => other.destroy());
      socket.on("close", () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    upstream.pipe(client);
    const [proxied, target] = [`http://127.0.0.1:${this.port}`, `http://127.0.0.1:${this.targetPort}`];
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1").replace(/^(Origin|Referer): http:\/\/127\.0\.0\.1:\d+/gim, (line) =>
        line.replace(proxied, target),
      );
      upstream.write(Buffer.from(text, "latin1"));
    });
    client.on("end", () => upstream.end());
  });

  constructor(private targetPort: number) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  drop() {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore() {
    this.cut = false;
  }

  close() {
    this.drop();
    this.server.close();
  }
}

test("a run page that loses its connection mid-run catches up without a reload", async ({ page, request, baseURL, consoleErrors }) => {
  await uploadSource(request, baseURL, "reconnect-src", sourceZip());
  await callApi(request, "CreatePipeline", {
    pipeline: s3SourcePipeline(RECONNECT, "reconnect-src", [
      { name: "Build", actions: [commandsAction("Compile", ["echo built"])] },
      { name: "Approve", actions: [approvalAction("Release", "Ship it?")] },
      { name: "Deploy", actions: [commandsAction("Ship", ["sleep 1", "echo shipped"])] },
    ]),
  });
  const execution = await newestExecution(request, RECONNECT);
  const proxy = new FlakyProxy(Number(new URL(baseURL!).port));
  const proxied = `http://127.0.0.1:${await proxy.listen()}`;
  try {
    const stream = page.waitForRequest((r) => r.url().endsWith(`/api/v1/pipelines/${RECONNECT}/events`));
    await page.goto(`${proxied}/pipelines/${RECONNECT}`);
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
    await markNotReloaded(page);
    await stream;
    await expect(stage(page, "Approve")).toHaveAttribute("data-status", "InProgress", { timeout: 20_000 });
    await expect(page.locator('[data-testid="gantt-bar"][data-action="Release"]')).toHaveAttribute("data-status", "InProgress");
    await expect(stage(page, "Deploy")).toHaveAttribute("data-status", "NotStarted");

    proxy.drop();
    const cutAt = Date.now();
    // Answered straight at the server, while the page cannot reach it.
    const state = await callApi(request, "GetPipelineState", { name: RECONNECT });
    const approve = state.stageStates.find((s: { stageName: string }) => s.stageName === "Approve");
    const token = approve.actionStates[0].latestExecution.token;
    await callApi(request, "PutApprovalResult", {
      pipelineName: RECONNECT, stageName: "Approve", actionName: "Release", token,
      result: { summary: "while offline", status: "Approved" },
    });
    await waitForExecution(request, RECONNECT, execution, "Succeeded");
    // Long enough for the page's stream to fail and its poll to come due while cut off.
    await page.waitForTimeout(Math.max(0, 7_000 - (Date.now() - cutAt)));
    const shownStatus = await page.evaluate(() => document.querySelector('[data-testid="run-status"]')?.textContent ?? null);
    expect(shownStatus, "the page saw the end while cut off").not.toBe("Succeeded");

    const reopened = page.waitForRequest((r) => r.url().endsWith(`/api/v1/pipelines/${RECONNECT}/events`));
    proxy.restore();
    // The page opens its event stream again (rather than polling for ever) and catches up.
    await reopened;
    await expect(page.getByTestId("run-status")).toHaveText("Succeeded", { timeout: 15_000 });
    for (const name of ["Source", "Build", "Approve", "Deploy"]) {
      await expect(stage(page, name)).toHaveAttribute("data-status", "Succeeded");
      await expect(stage(page, name)).toHaveClass(/status-succeeded/);
    }
    await expect(page.locator('[data-action="Release"]').getByTestId("approval-decision")).toContainText("while offline");
    await expect(page.getByTestId("timeline").getByTestId("gantt-bar")).toHaveCount(4);
    await notReloaded(page);
    // Leaves before the proxy closes, so no stream of the page breaks after this check. The browser
    // logs each request the cut connection broke; nothing else may be there.
    await page.goto("about:blank");
    expectConsoleError(consoleErrors, /ERR_INCOMPLETE_CHUNKED_ENCODING|status of 502/);
  } finally {
    proxy.close();
  }
});
