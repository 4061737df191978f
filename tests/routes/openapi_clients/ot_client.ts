// openapi-typescript + openapi-fetch, as their docs show: typed paths, a key in the headers.
import createClient from "openapi-fetch";
import type { paths } from "./gen-ot/schema.d.ts";

const [baseUrl, key, photo] = Deno.args;
const image = new Blob([await Deno.readFile(photo)], { type: "image/jpeg" });
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
const native = await client.POST("/api/v1/detect", {
  params: { query: { conf: 0.4 } },
  body: image,
  headers: { "Content-Type": "image/jpeg" },
  bodySerializer: (body) => body,
});
const deepstack = await client.POST("/v1/vision/detection", {
  body: { image, min_confidence: 0.4 },
  bodySerializer: (body) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(body)) form.append(k, v instanceof Blob ? v : String(v));
    return form;
  },
});
const anonymous = await createClient<paths>({ baseUrl }).GET("/api/v1/model");
console.log(JSON.stringify({
  native: { status: native.response.status, labels: native.data?.detections.map((d) => d.label) },
  deepstack: {
    status: deepstack.response.status,
    labels: deepstack.data?.predictions.map((p) => p.label),
  },
  anonymous: { status: anonymous.response.status, error: anonymous.error },
}));
