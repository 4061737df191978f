/** Tests for the one error renderer: native JSON, the page's HTML fragment, DeepStack's shape. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, ERROR_CODES } from "../../inference/errors.ts";
import { ERROR_STATUS, errorStatus } from "../../routes/error_status.ts";
import { deepStackErrors, renderError } from "../../routes/errors.ts";

/** An app whose routes throw `err`, natively under /api and in DeepStack's dialect under /v1. */
function appThrowing(err: () => unknown) {
  const app = new Hono();
  let renders = 0;
  app.use("/v1/*", deepStackErrors());
  app.all("*", () => {
    throw err();
  });
  app.onError((e, c) => {
    renders++;
    return renderError(e, c);
  });
  return { app, renders: () => renders };
}

const overloaded = () =>
  new AppError("overloaded", "Cannot detect now: the queue is full", { retryAfter: 2.5 });

Deno.test("errorStatus() maps every code, and nothing else, to an HTTP error status", () => {
  assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [...ERROR_CODES].sort());
  for (const code of ERROR_CODES) {
    const status = errorStatus(code);
    assert.ok(status >= 400 && status < 600, code);
  }
});

Deno.test("renderError() answers in the request's dialect", async (t) => {
  await t.step("native JSON with Retry-After", async () => {
    const { app, renders } = appThrowing(overloaded);
    const res = await app.request("/api/v1/detect", { method: "POST" });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("Retry-After"), "3");
    assert.deepEqual(await res.json(), {
      error: { code: "overloaded", message: "Cannot detect now: the queue is full" },
    });
    assert.equal(renders(), 1);
  });

  await t.step("the HTML fragment for the page's htmx requests", async () => {
    const { app } = appThrowing(() => new AppError("corrupt_image", "Cannot decode <PNG>"));
    const res = await app.request("/detect", { method: "POST", headers: { "HX-Request": "true" } });
    assert.equal(res.status, 422);
    assert.equal(
      await res.text(),
      '<div class="error" role="alert" data-error-code="corrupt_image">' +
        "<strong>422</strong> Cannot decode &#60;PNG&#62;</div>",
    );
  });

  await t.step("DeepStack's shape under /v1, with our status and Retry-After", async () => {
    const { app, renders } = appThrowing(overloaded);
    const res = await app.request("/v1/vision/detection", { method: "POST" });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("Retry-After"), "3");
    assert.deepEqual(await res.json(), {
      success: false,
      error: "Cannot detect now: the queue is full",
      duration: 0,
    });
    assert.equal(renders(), 1);
  });

  await t.step("DeepStack's own words for a bad image and an internal failure", async () => {
    const bad = appThrowing(() => new AppError("not_image", "Cannot read the image"));
    const res = await bad.app.request("/v1/vision/detection", { method: "POST" });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "invalid image file: Cannot read the image");
    const internal = appThrowing(() => new AppError("decode_failed", "secret detail"));
    const res500 = await internal.app.request("/v1/vision/detection", { method: "POST" });
    assert.equal(res500.status, 500);
    assert.equal((await res500.json()).error, "error occured on the server");
  });

  await t.step("Hono's HTTPException keeps its status in either dialect", async () => {
    const { app } = appThrowing(() => new HTTPException(413, { message: "too big" }));
    const native = await app.request("/api/v1/detect", { method: "POST" });
    assert.equal(native.status, 413);
    assert.deepEqual(await native.json(), {
      error: { code: "body_too_large", message: "too big" },
    });
    const compat = await app.request("/v1/vision/detection", { method: "POST" });
    assert.equal(compat.status, 413);
    assert.equal((await compat.json()).error, "too big");
  });
});
