// @hey-api/openapi-ts's SDK, as its docs show: one function per operationId, auth in the config.
import { client } from "./gen-hey/client.gen.ts";
import { deepStackDetect, detect, getModel } from "./gen-hey/sdk.gen.ts";

const [baseUrl, key, photo] = Deno.args;
const image = new Blob([await Deno.readFile(photo)], { type: "image/jpeg" });
client.setConfig({ baseUrl, auth: () => key });
const native = await detect({ body: image, query: { conf: 0.4 } });
const deepstack = await deepStackDetect({ body: { image, min_confidence: 0.4 } });
const anonymous = await getModel({ auth: () => undefined });
console.log(JSON.stringify({
  native: { status: native.response?.status, labels: native.data?.detections.map((d) => d.label) },
  deepstack: {
    status: deepstack.response?.status,
    labels: deepstack.data?.predictions.map((p) => p.label),
  },
  anonymous: { status: anonymous.response?.status, error: anonymous.error },
}));
