// Times the run view's first load in Chromium as a user on a 10 Mbit/s link with 40 ms of latency
// meets it (CDP Network.emulateNetworkConditions): from navigation to the moment the app marks
// <main data-hydrated="true">, with an empty cache (cold) and again with the cache that load
// left (warm), and the bytes each load took over the wire. Run through scripts/bench-first-load,
// which builds the release bundle, starts Sluice and sets SLUICE_BASE and SLUICE_ADMIN_PASSWORD.
import { chromium, request as http } from "@playwright/test";
import { spawnSync } from "node:child_process";

const base = process.env.SLUICE_BASE;
const password = process.env.SLUICE_ADMIN_PASSWORD;
if (!base || !password) throw new Error("set SLUICE_BASE and SLUICE_ADMIN_PASSWORD (scripts/bench-first-load does)");
const runs = Number(process.env.RUNS ?? 7);
const PIPELINE = "first-load";
// Bytes per second; latency in ms, added to each request as Chromium's DevTools throttling does.
const THROTTLE = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };

/** Signs in as admin; the session's changes must name Sluice as their origin, as the browser's do. */
async function signIn() {
  const api = await http.newContext({ baseURL: base, extraHTTPHeaders: { Origin: base } });
  const answer = await api.post("/signin", { form: { username: "admin", password }, maxRedirects: 0 });
  if (answer.status() >= 400) throw new Error(`sign-in: HTTP ${answer.status()}`);
  return api;
}

async function callApi(api, operation, body) {
  const answer = await api.post("/", {
    headers: { "X-Amz-Target": `CodePipeline_20150709.${operation}`, "Content-Type": "application/x-amz-json-1.1" },
    data: JSON.stringify(body),
  });
  if (!answer.ok()) throw new Error(`${operation}: ${await answer.text()}`);
  return answer.json();
}

/** A run to look at: source done, an approval waiting, two stages of commands still to come. */
async function createRun(api) {
  const zip = spawnSync("python3", ["-c",
    "import io,sys,zipfile\nb=io.BytesIO()\nwith zipfile.ZipFile(b,'w') as z: z.writestr('app.txt','hi')\nsys.stdout.buffer.write(b.getvalue())"]);
  const upload = await api.put(`/objects/${PIPELINE}-src/app.zip`, { data: zip.stdout });
  if (upload.status() !== 201) throw new Error(`upload: HTTP ${upload.status()}`);
  const type = (category, provider) => ({ category, owner: "AWS", provider, version: "1" });
  const commands = (name, lines) => ({ name, actionTypeId: type("Compute", "Commands"), commands: lines, inputArtifacts: [{ name: "Src" }] });
  await callApi(api, "CreatePipeline", { pipeline: {
    name: PIPELINE, roleArn: "arn:aws:iam::000000000000:role/pipeline", pipelineType: "V2",
    artifactStore: { type: "S3", location: "artifacts" },
    stages: [
      { name: "Source", actions: [{ name: "Source", actionTypeId: type("Source", "S3"), outputArtifacts: [{ name: "Src" }],
        configuration: { S3Bucket: `${PIPELINE}-src`, S3ObjectKey: "app.zip", PollForSourceChanges: "false" } }] },
      { name: "Gate", actions: [{ name: "Review", actionTypeId: type("Approval", "Manual") }] },
      { name: "Test", actions: [commands("Unit", ["make test"]), commands("Lint", ["make lint"])] },
      { name: "Deploy", actions: [commands("Ship", ["make deploy"])] },
    ],
  } });
  for (let i = 0; i < 150; i++) {
    const state = await callApi(api, "GetPipelineState", { name: PIPELINE });
    if (state.stageStates.find((s) => s.stageName === "Gate")?.latestExecution?.status === "InProgress") return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error("the run never reached its approval");
}

/** One load of the run view in a new tab of `context`: ms to hydrated, bytes received, and how the wasm came. */
async function load(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", THROTTLE);
  let bytes = 0;
  let wasm = "not fetched";
  const urls = new Map();
  cdp.on("Network.responseReceived", ({ requestId, response }) => {
    urls.set(requestId, response.url);
    if (response.url.endsWith(".wasm")) {
      const encoding = Object.entries(response.headers).find(([k]) => k.toLowerCase() === "content-encoding")?.[1];
      wasm = response.fromDiskCache || response.fromMemoryCache ? "from cache" : (encoding ?? "identity");
    }
  });
  cdp.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
    if (urls.has(requestId)) bytes += encodedDataLength;
  });
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`/pipelines/${PIPELINE}`);
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 60_000 });
  const times = await page.evaluate(() => ({
    hydrated: window.__hydratedAt,
    firstByte: performance.getEntriesByType("navigation")[0].responseStart,
  }));
  await page.close();
  if (errors.length) throw new Error(`console errors: ${errors.join("; ")}`);
  return { ...times, bytes, wasm };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const api = await signIn();
await createRun(api);
const storageState = await api.storageState();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
});
try {
  const cold = [];
  const warm = [];
  for (let i = 0; i < runs; i++) {
    // A new context starts with an empty cache; its second tab finds what the first one stored.
    const context = await browser.newContext({ baseURL: base, storageState });
    // Notes when the app marks itself hydrated, on the page's own clock (0 = navigation start).
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector("main")?.dataset.hydrated === "true") {
          window.__hydratedAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-hydrated"] });
    });
    cold.push(await load(context));
    warm.push(await load(context));
    await context.close();
  }
  console.log(`run view, Chromium ${browser.version()}, 10 Mbit/s and 40 ms, ${runs} loads each (median, fastest, slowest):`);
  for (const [name, loads] of [["cold", cold], ["warm", warm]]) {
    const hydrated = loads.map((l) => l.hydrated);
    console.log(
      `  ${name}: interactive ${median(hydrated).toFixed(0)} ms (${Math.min(...hydrated).toFixed(0)}-${Math.max(...hydrated).toFixed(0)}), ` +
        `first byte ${median(loads.map((l) => l.firstByte)).toFixed(0)} ms, ${median(loads.map((l) => l.bytes))} bytes over the wire, ` +
        `wasm ${[...new Set(loads.map((l) => l.wasm))].join("/")}`,
    );
  }
} finally {
  await browser.close();
  await callApi(api, "DeletePipeline", { name: PIPELINE }).catch(() => {});
}
