// Generates both clients from spec.json, each configured as its documentation shows.
import { writeFileSync, mkdirSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { createClient } from "@hey-api/openapi-ts";

// openapi-typescript's documented transform: binary bodies as Blob.
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(new URL("./spec.json", import.meta.url), {
  transform(schema) {
    if (schema.format === "binary") return BLOB;
  },
});
mkdirSync("gen-ot", { recursive: true });
writeFileSync("gen-ot/schema.d.ts", astToString(ast));

await createClient({
  input: "spec.json",
  output: { path: "gen-hey", importFileExtension: ".ts" },
  plugins: ["@hey-api/client-fetch"],
  logs: { level: "silent" },
});
