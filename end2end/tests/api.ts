import { expect, type APIRequestContext, type Page } from "@playwright/test";

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
