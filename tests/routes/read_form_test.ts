/** Tests for readForm(): forms read under the body limit, whose own error wins. */
import assert from "node:assert/strict";
import { AppError } from "../../inference/errors.ts";
import { limitStream } from "../../routes/body_limit.ts";
import { readForm } from "../../routes/read_form.ts";

const UPLOAD_URL = "http://localhost/upload";

function formRequest(form: FormData): Request {
  return new Request(UPLOAD_URL, { method: "POST", body: form });
}

Deno.test("readForm() reads multipart and urlencoded forms", async () => {
  const form = new FormData();
  form.set("image", new File([new Uint8Array([1, 2, 3])], "a.jpg"));
  const got = await readForm(formRequest(form));
  assert.equal((got?.get("image") as File).size, 3);
  const encoded = new Request(UPLOAD_URL, {
    method: "POST",
    body: "api_key=k",
    headers: { "Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8" },
  });
  assert.equal((await readForm(encoded))?.get("api_key"), "k");
});

Deno.test("readForm() leaves a body that is not a form unread", async () => {
  for (const type of ["image/jpeg", "application/json", ""]) {
    const req = new Request(UPLOAD_URL, {
      method: "POST",
      body: "{}",
      headers: type ? { "Content-Type": type } : {},
    });
    if (!type) req.headers.delete("Content-Type");
    assert.equal(await readForm(req), undefined, type);
    assert.equal(req.bodyUsed, false, type);
  }
});

Deno.test("readForm() turns a broken form into the caller's error, or 400 bad_request", async () => {
  const broken = () =>
    new Request(UPLOAD_URL, {
      method: "POST",
      body: "not multipart",
      headers: { "Content-Type": "multipart/form-data; boundary=x" },
    });
  await assert.rejects(readForm(broken()), (err) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, "bad_request");
    assert.match(err.message, /^Cannot read the form: /);
    assert.ok(err.cause instanceof Error);
    return true;
  });
  const malformed = (cause: unknown) => new AppError("missing_field", "No image", { cause });
  await assert.rejects(readForm(broken(), { malformed }), { code: "missing_field" });
});

Deno.test("readForm() lets the body limit's own error win", async () => {
  const form = new FormData();
  form.set("image", new File([new Uint8Array(5000)], "big.jpg"));
  const original = formRequest(form);
  const limited = new Request(original, {
    body: limitStream(original.body!, 1000),
    duplex: "half",
  } as RequestInit);
  const malformed = () => new AppError("missing_field", "must not win");
  await assert.rejects(readForm(limited, { malformed }), { code: "body_too_large" });
});
