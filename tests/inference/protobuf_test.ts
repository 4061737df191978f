import assert from "node:assert/strict";
import { readFields, Writer } from "../../inference/_protobuf.ts";

Deno.test("Writer.message() writes a nested writer as bytes(field, its finish()) would", () => {
  const sub = () => new Writer().int(1, 300).bytes(2, new Uint8Array(200).fill(7)).int(3, 5);
  const nested = new Writer().int(1, 1).message(5, sub()).int(6, 2).finish();
  const copied = new Writer().int(1, 1).bytes(5, sub().finish()).int(6, 2).finish();
  assert.deepEqual(nested, copied);
  assert.deepEqual(readFields(readFields(nested)[1].bytes!).map((f) => f.field), [1, 2, 3]);
});
