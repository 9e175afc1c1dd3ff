import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";

/** Opens a page and waits until the wasm app has hydrated it, so typing reaches the app. */
export async function open(page: Page, path: string) {
  const response = await page.goto(path);
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true");
  return response;
}

/** Sends one CodePipeline JSON API request, as the AWS CLI would; the answer may be an error. */
export async function postApi(request: APIRequestContext, operation: string, body: unknown) {
  return request.post("/", {
    headers: {
      "X-Amz-Target": `CodePipeline_20150709.${operation}`,
      "Content-Type": "application/x-amz-json-1.1",
    },
    data: JSON.stringify(body),
  });
}

/** Calls the CodePipeline JSON API and returns the parsed answer, failing the test on an error. */
export async function callApi(request: APIRequestContext, operation: string, body: unknown) {
  const response = await postApi(request, operation, body);
  expect(response.ok(), `${operation}: ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** A zip holding `app.txt` with `text`, made by Python's zipfile (no zip package in node_modules). */
export function sourceZip(text = "hello"): Buffer {
  const script = "import io,sys,zipfile\nb=io.BytesIO()\nwith zipfile.ZipFile(b,'w') as z: z.writestr('app.txt',sys.argv[1])\nsys.stdout.buffer.write(b.getvalue())";
  const made = spawnSync("python3", ["-c", script, text]);
  expect(made.status, made.stderr.toString()).toBe(0);
  return made.stdout;
}

/** Uploads `s3://bucket/app.zip` to Sluice's object store; returns the new version's id. */
export async function uploadSource(request: APIRequestContext, baseURL: string | undefined, bucket: string, zip: Buffer) {
  // A session's changes must name Sluice as their origin, as the browser's own requests do.
  const upload = await request.put(`/objects/${bucket}/app.zip`, { data: zip, headers: { Origin: baseURL ?? "" } });
  expect(upload.status()).toBe(201);
  return (await upload.json()).versionId as string;
}

/** A Commands action that runs `lines` in the source artifact `Src`. */
export function commandsAction(name: string, lines: string[]) {
  return {
    name,
    actionTypeId: { category: "Compute", owner: "AWS", provider: "Commands", version: "1" },
    commands: lines,
    inputArtifacts: [{ name: "Src" }],
  };
}

/** A manual approval action. */
export function approvalAction(name: string, customData: string) {
  return {
    name,
    actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
    configuration: { CustomData: customData },
  };
}

/** A V2 pipeline whose first stage `Source` reads `s3://bucket/app.zip` into the artifact `Src`. */
export function s3SourcePipeline(name: string, bucket: string, stages: { name: string; actions: unknown[] }[]) {
  return {
    name,
    roleArn: "arn:aws:iam::000000000000:role/pipeline",
    artifactStore: { type: "S3", location: "artifacts" },
    pipelineType: "V2",
    stages: [
      {
        name: "Source",
        actions: [{
          name: "Source",
          actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
          configuration: { S3Bucket: bucket, S3ObjectKey: "app.zip", PollForSourceChanges: "false" },
          outputArtifacts: [{ name: "Src" }],
        }],
      },
      ...stages,
    ],
  };
}

/** Waits until an execution has `status` (GetPipelineExecution); returns the execution. */
export async function waitForExecution(request: APIRequestContext, pipelineName: string, pipelineExecutionId: string, status: string) {
  let execution: { status: string } & Record<string, unknown> = { status: "" };
  await expect
    .poll(async () => {
      execution = (await callApi(request, "GetPipelineExecution", { pipelineName, pipelineExecutionId })).pipelineExecution;
      return execution.status;
    }, { timeout: 30_000 })
    .toBe(status);
  return execution;
}

/** Waits until the newest execution's `stage` has `status` (GetPipelineState), so a page opened
 * next shows a run that holds still. */
export async function waitForStage(request: APIRequestContext, name: string, stageName: string, status: string) {
  await expect
    .poll(async () => {
      const state = await callApi(request, "GetPipelineState", { name });
      return state.stageStates.find((s: { stageName: string }) => s.stageName === stageName)?.latestExecution?.status;
    }, { timeout: 30_000 })
    .toBe(status);
}
