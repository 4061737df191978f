/** Tests for AppError's wire form: what crosses the worker boundary comes back intact. */
import assert from "node:assert/strict";
import {
  AppError,
  ERROR_CODES,
  fromWireError,
  isErrorCode,
  toAppError,
  toWireError,
  type WireError,
} from "../../inference/errors.ts";

/** What postMessage does to the message on its way to the other side. */
const acrossWorker = (err: unknown) => fromWireError(structuredClone(toWireError(err)));

Deno.test("toWireError() and fromWireError() carry an AppError across structured clone", async (t) => {
  await t.step("code, message, retry hint and stack", () => {
    const sent = new AppError("timeout", "Cannot detect: the worker took too long", {
      retryAfter: 1,
    });
    const got = acrossWorker(sent);
    assert.ok(got instanceof AppError);
    assert.equal(got.code, "timeout");
    assert.equal(got.message, sent.message);
    assert.equal(got.retryAfter, 1);
    assert.equal(got.stack, sent.stack);
  });

  await t.step("the cause's name, message, stack and code, nested", () => {
    const root = Object.assign(new Error("no such file"), { name: "NotFound", code: "ENOENT" });
    const sent = new AppError("model_invalid", "Cannot load verdict head", {
      cause: new AppError("corrupt_image", "inner", { cause: root }),
    });
    const got = acrossWorker(sent);
    const cause = got.cause as AppError;
    assert.ok(cause instanceof AppError);
    assert.equal(cause.code, "corrupt_image");
    assert.equal(cause.message, "inner");
    const inner = cause.cause as Error & { code?: string };
    assert.ok(inner instanceof Error);
    assert.equal(inner.name, "NotFound");
    assert.equal(inner.message, "no such file");
    assert.equal(inner.code, "ENOENT");
    assert.equal(inner.stack, root.stack);
  });

  await t.step("anything else thrown arrives as the internal error toAppError() makes", () => {
    const thrown = new TypeError("x is not a function");
    const got = acrossWorker(thrown);
    assert.equal(got.code, "internal");
    assert.equal(got.message, toAppError(thrown).message);
    const cause = got.cause as Error;
    assert.equal(cause.name, "TypeError");
    assert.equal(cause.message, "x is not a function");
    assert.equal(acrossWorker("a string").cause instanceof Error, true);
  });

  await t.step("a code this side does not know becomes internal", () => {
    const wire = { code: "from_the_future", message: "new" } as unknown as WireError;
    const got = fromWireError(wire);
    assert.equal(got.code, "internal");
    assert.equal(got.message, "new");
    assert.equal(got.retryAfter, undefined);
  });

  await t.step("a cyclic cause chain stops at a bounded depth", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    let depth = 0;
    for (let e: unknown = acrossWorker(a); e instanceof Error; e = e.cause) depth++;
    assert.ok(depth <= 6, `depth ${depth}`);
  });
});

Deno.test("isErrorCode() knows exactly the listed codes", () => {
  for (const code of ERROR_CODES) assert.ok(isErrorCode(code), code);
  assert.equal(isErrorCode("toString"), false);
  assert.equal(isErrorCode(413), false);
});
