import { test } from "node:test";
import assert from "node:assert/strict";

import { ChunkAssembler, ChunkError } from "../../extension/lib/chunks.js";

/** Split a reply's JSON text as the host does: consecutive pieces of at most `size` characters. */
function chunksOf(id, reply, size) {
  const text = JSON.stringify(reply);
  const pieces = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces.map((data, index) => ({ v: 1, id, type: "chunk", index, count: pieces.length, data }));
}

const reply = { v: 1, id: "r1", type: "protect", ok: true, result: { image: "A".repeat(5000), name: "art.jpg" } };

/**
 * Nothing of an earlier reply under `id` is kept: a new two-chunk reply under the same id assembles whole. Any part
 * left behind would make it fail (count changed, duplicate index) or never complete.
 */
function assertForgotten(assembler, id) {
  const small = { v: 1, id, type: "hello", ok: true, result: { protocol: 1 } };
  const [first, second] = chunksOf(id, small, Math.ceil(JSON.stringify(small).length / 2));
  assert.equal(assembler.add(first), null);
  assert.deepEqual(assembler.add(second), small, `${id} starts afresh`);
}

test("chunks in order give back the reply, and only on the last one", () => {
  const assembler = new ChunkAssembler();
  const chunks = chunksOf("r1", reply, 700);
  assert.ok(chunks.length > 2);
  for (const chunk of chunks.slice(0, -1)) assert.equal(assembler.add(chunk), null);
  assert.deepEqual(assembler.add(chunks.at(-1)), reply);
  assertForgotten(assembler, "r1");
});

test("chunks out of order and interleaved with another reply", () => {
  const other = { ...reply, id: "r2", result: { image: "B".repeat(3000), name: "b.png" } };
  const a = chunksOf("r1", reply, 1000).reverse();
  const b = chunksOf("r2", other, 1000);
  const assembler = new ChunkAssembler();
  const done = [];
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    for (const chunk of [a[i], b[i]]) {
      if (!chunk) continue;
      const whole = assembler.add(chunk);
      if (whole) done.push(whole);
    }
  }
  assert.deepEqual(done.map((r) => r.id).sort(), ["r1", "r2"]);
  assert.deepEqual(done.find((r) => r.id === "r1"), reply);
});

test("a single chunk is a whole reply; multi-byte text survives splitting", () => {
  const japanese = { ...reply, result: { message: "保護しました。".repeat(50) } };
  assert.deepEqual(new ChunkAssembler().add(chunksOf("r1", japanese, 1_000_000)[0]), japanese);
  const assembler = new ChunkAssembler();
  let whole = null;
  for (const chunk of chunksOf("r1", japanese, 7)) whole = assembler.add(chunk);
  assert.deepEqual(whole, japanese);
});

test("contradictions drop the partial reply and say why", () => {
  const cases = [
    [(c) => [c[0], { ...c[0] }], "duplicate index"],
    [(c) => [c[0], { ...c[1], count: c[1].count + 1 }], "count changed"],
    [(c) => [{ ...c[0], index: c[0].count }], "index out of range"],
    [(c) => [{ ...c[0], index: -1 }], "index out of range"],
    [(c) => [{ ...c[0], count: 0 }], "bad count"],
    [(c) => [{ ...c[0], data: 42 }], "data is not a string"],
  ];
  for (const [mangle, reason] of cases) {
    const assembler = new ChunkAssembler();
    const sequence = mangle(chunksOf("r1", reply, 700));
    assert.throws(
      () => sequence.forEach((chunk) => assembler.add(chunk)),
      (error) => error instanceof ChunkError && error.reason === reason && error.id === "r1",
      reason,
    );
    assertForgotten(assembler, "r1");
  }
});

test("a reply longer than the limit is refused before it is joined", () => {
  const assembler = new ChunkAssembler({ maxChars: 2000 });
  const chunks = chunksOf("r1", reply, 700);
  assert.throws(() => chunks.forEach((chunk) => assembler.add(chunk)), /reply too large/);
  assertForgotten(assembler, "r1");
});

test("joined text that is not JSON is an error, not a crash", () => {
  const assembler = new ChunkAssembler();
  assembler.add({ id: "r1", index: 0, count: 2, data: '{"ok": tr' });
  assert.throws(() => assembler.add({ id: "r1", index: 1, count: 2, data: "ue" }), /not JSON/);
});

test("drop forgets a partial reply (cancelled request)", () => {
  const assembler = new ChunkAssembler();
  const chunks = chunksOf("r1", reply, 700);
  assembler.add(chunks[0]);
  assembler.drop("r1");
  assertForgotten(assembler, "r1");
  const late = new ChunkAssembler();
  late.add(chunks[0]);
  late.drop("r1");
  for (const chunk of chunks.slice(1)) assert.equal(late.add(chunk), null, "late chunks never complete the old reply");
});
