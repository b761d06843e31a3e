// Images travel to the host as base64: reading a picked file, and the round trip.
import { test } from "node:test";
import assert from "node:assert/strict";

import { base64ToBytes, blobToBase64, bytesToBase64 } from "../../extension/lib/base64.js";

test("a picked file is read whole as standard base64", async () => {
  const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256); // more than one fromCharCode block
  const file = new File([bytes], "art.png", { type: "image/png" });
  const text = await blobToBase64(file);
  assert.equal(text, Buffer.from(bytes).toString("base64"));
  assert.deepEqual(base64ToBytes(text), bytes);
  assert.equal(await blobToBase64(new Blob([])), "");
});

test("bytes -> base64 -> bytes is the identity, padding included", () => {
  for (const length of [0, 1, 2, 3, 4, 5]) {
    const bytes = Uint8Array.from({ length }, (_, i) => 250 + i);
    assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString("base64"), `${length} bytes`);
    assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
  }
});
