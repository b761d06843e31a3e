import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

import { HostClient, nativeDisconnectCode } from "../../extension/lib/host.js";
import { CodedError } from "../../extension/lib/messages.js";
import { base64ToBytes, bytesToBase64 } from "../../extension/lib/base64.js";
import { BROWSER_MAX_FRAME, pythonProgram, stdioHost } from "./stdio-host.mjs";

/** A noisy PNG made by Pillow (noise keeps the protected JPEG large enough to need chunks). */
function noisyPng(width, height) {
  const script = `
import io, sys, numpy as np
from PIL import Image
rng = np.random.default_rng(7)
pixels = rng.integers(0, 256, (${height}, ${width}, 3), dtype=np.uint8)
buf = io.BytesIO(); Image.fromarray(pixels).save(buf, "PNG"); sys.stdout.buffer.write(buf.getvalue())`;
  return new Uint8Array(execFileSync(pythonProgram("python3"), ["-c", script], { maxBuffer: 64 * 1024 * 1024 }));
}

test("against the real host: hello, a chunked protect reply, and error codes with both languages", async (t) => {
  const host = stdioHost();
  t.after(host.stopAll);
  const client = new HostClient(host.open);

  const hello = await client.hello();
  assert.equal(hello.protocol, 1);
  assert.match(hello.version, /^\d+\.\d+/);
  assert.ok(["ask", "original", "cancel"].includes(hello.settings.extension.on_failure));
  assert.equal(await client.hello(), hello, "one hello per connection");

  const original = noisyPng(1600, 1200);
  const progress = [];
  const result = await client.request(
    "protect",
    { image: bytesToBase64(original), name: "noise.png" },
    { timeoutMs: 120_000, onProgress: (p) => progress.push(p) },
  );
  const protectedBytes = base64ToBytes(result.image);
  assert.deepEqual([...protectedBytes.subarray(0, 3)], [0xff, 0xd8, 0xff], "a JPEG came back");
  assert.equal(result.mime, "image/jpeg");
  assert.equal(result.bytes, protectedBytes.length);
  assert.ok(Array.isArray(result.report) && result.report.length > 0);
  assert.ok(result.image.length > BROWSER_MAX_FRAME, "the reply was larger than one frame");
  assert.ok(Math.max(...host.frames) <= BROWSER_MAX_FRAME, "and no frame was over the browser's limit");
  for (const p of progress) assert.ok(p.fraction >= 0 && p.fraction <= 1 && typeof p.stage === "string");
  assert.equal(await client.hello(), hello, "the kept hello is not asked again");
  const fresh = await client.hello({ fresh: true });
  assert.equal(fresh.protected_count, hello.protected_count + 1, "a fresh hello counts the image just protected");
  assert.equal(await client.hello(), fresh, "and is the one kept");

  await assert.rejects(
    client.request("protect", { image: bytesToBase64(new TextEncoder().encode("not a picture")), name: "a.png" }),
    (error) =>
      error instanceof CodedError && error.code === "not_an_image" && Boolean(error.hostMessage.en && error.hostMessage.ja),
  );
  await assert.rejects(client.request("no.such.type", {}), (error) => error.code === "unknown_type");
  client.close();
});

test("against the real host: a host that dies fails the pending request; the next request reconnects", async (t) => {
  const host = stdioHost();
  t.after(host.stopAll);
  let transport;
  const client = new HostClient((handlers) => (transport = host.open(handlers)));
  await client.hello();
  const pending = client.request("protect", { image: bytesToBase64(noisyPng(800, 600)), name: "a.png" }, { timeoutMs: 60_000 });
  transport.kill();
  await assert.rejects(pending, (error) => error.code === "host_disconnected");
  const again = await client.hello();
  assert.equal(again.protocol, 1);
  client.close();
});

/** A peer that answers as scripted, for what a healthy host never does (silence, broken chunks). */
function scriptedPeer(answer) {
  const sent = [];
  let handlers;
  const open = (h) => {
    handlers = h;
    return {
      send: (message) => {
        sent.push(message);
        for (const reply of answer(message)) queueMicrotask(() => handlers.onMessage(reply));
      },
      close: () => {},
    };
  };
  return { open, sent, deliver: (message) => handlers.onMessage(message), disconnect: (code) => handlers.onClose(code) };
}

test("silence past the timeout is host_timeout; progress counts as news", async () => {
  const silent = scriptedPeer(() => []);
  await assert.rejects(
    new HostClient(silent.open).request("protect", {}, { timeoutMs: 30 }),
    (e) => e.code === "host_timeout",
  );

  const slow = scriptedPeer(() => []);
  const client = new HostClient(slow.open);
  const stages = [];
  const request = client.request("protect", {}, { timeoutMs: 60, onProgress: (p) => stages.push(p.stage) });
  const { id } = slow.sent[0];
  for (const stage of ["decode", "signature", "mark", "encode"]) {
    await new Promise((resolve) => setTimeout(resolve, 40)); // 160 ms in all, never 60 ms of silence
    slow.deliver({ v: 1, id, type: "progress", stage, fraction: 0.5 });
  }
  slow.deliver({ v: 1, id, type: "protect", ok: true, result: { done: true } });
  assert.deepEqual(await request, { done: true });
  assert.deepEqual(stages, ["decode", "signature", "mark", "encode"]);
});

test("a request given up on is cancelled at the host; the answers that follow touch nothing", async () => {
  const peer = scriptedPeer(() => []);
  const client = new HostClient(peer.open);
  await assert.rejects(client.request("protect", {}, { timeoutMs: 30 }), (e) => e.code === "host_timeout");
  const controller = new AbortController();
  const aborted = client.request("protect", {}, { signal: controller.signal });
  controller.abort(new CodedError("cancelled"));
  await assert.rejects(aborted, (e) => e.code === "cancelled");
  assert.deepEqual(
    peer.sent.map(({ type, request }) => [type, request]),
    [["protect", undefined], ["cancel", "r1"], ["protect", undefined], ["cancel", "r3"]],
  );
  const next = client.request("history", {}, { timeoutMs: 5000 });
  // The host's answers: each cancel's, then the late "cancelled" failures of the two requests.
  peer.deliver({ v: 1, id: "r2", type: "cancel", ok: true, result: { cancelled: true } });
  peer.deliver({ v: 1, id: "r1", type: "protect", ok: false, error: { code: "cancelled" } });
  peer.deliver({ v: 1, id: "r4", type: "cancel", ok: true, result: { cancelled: true } });
  peer.deliver({ v: 1, id: "r3", type: "protect", ok: false, error: { code: "cancelled" } });
  peer.deliver({ v: 1, id: peer.sent.at(-1).id, type: "history", ok: true, result: { total: 0 } });
  assert.deepEqual(await next, { total: 0 });
});

test("requests carry v, id and type; replies are matched by id", async () => {
  const peer = scriptedPeer((m) => [{ v: 1, id: m.id, type: m.type, ok: true, result: { echo: m.name } }]);
  const client = new HostClient(peer.open);
  const [a, b] = await Promise.all([client.request("x", { name: "a" }), client.request("x", { name: "b" })]);
  assert.deepEqual([a.echo, b.echo], ["a", "b"]);
  assert.deepEqual(peer.sent.map((m) => [m.v, m.type, typeof m.id]), [[1, "x", "string"], [1, "x", "string"]]);
  assert.notEqual(peer.sent[0].id, peer.sent[1].id);
});

test("broken chunks and shapeless replies become host_bad_reply", async () => {
  const peer = scriptedPeer((m) =>
    m.type === "chunky"
      ? [{ v: 1, id: m.id, type: "chunk", index: 5, count: 2, data: "{" }]
      : [{ v: 1, id: m.id, type: m.type, ok: "maybe" }],
  );
  const client = new HostClient(peer.open);
  await assert.rejects(client.request("chunky", {}), (e) => e.code === "host_bad_reply" && e.details.reason === "index out of range");
  await assert.rejects(client.request("odd", {}), (e) => e.code === "host_bad_reply");
});

test("an id-less failure (the host could not read the request) fails what is pending", async () => {
  const peer = scriptedPeer(() => [
    { v: 1, id: null, type: "error", ok: false, error: { code: "frame_too_large", message: { en: "e", ja: "j" } } },
  ]);
  const client = new HostClient(peer.open);
  await assert.rejects(client.request("protect", {}), (e) => e.code === "frame_too_large" && e.hostMessage.ja === "j");
});

test("abort stops waiting; a late reply is ignored", async () => {
  const peer = scriptedPeer(() => []);
  const client = new HostClient(peer.open);
  const controller = new AbortController();
  const request = client.request("protect", {}, { signal: controller.signal });
  controller.abort(new CodedError("cancelled"));
  await assert.rejects(request, (e) => e.code === "cancelled");
  peer.deliver({ v: 1, id: peer.sent[0].id, type: "protect", ok: true, result: {} }); // nothing to settle: no throw
});

test("a reply to an id never sent fails what is pending at once; a late reply to a cancelled one does not", async () => {
  const peer = scriptedPeer(() => []);
  const client = new HostClient(peer.open);
  const controller = new AbortController();
  const cancelled = client.request("protect", {}, { signal: controller.signal });
  controller.abort(new CodedError("cancelled"));
  await assert.rejects(cancelled, (e) => e.code === "cancelled");
  const pending = client.request("protect", {}, { timeoutMs: 60_000 });
  let settled = false;
  pending.catch(() => {}).finally(() => (settled = true));

  peer.deliver({ v: 1, id: peer.sent[0].id, type: "protect", ok: true, result: {} }); // late: the host was slow
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(settled, false, "a late reply to a cancelled request must not touch the others");

  const started = Date.now();
  peer.deliver({ v: 1, id: `x${peer.sent[1].id}`, type: "progress", stage: "mark", fraction: 0.5 });
  await assert.rejects(pending, (e) => e.code === "host_bad_reply" && e.details.reason === "unknown id");
  assert.ok(Date.now() - started < 1000, "failed at once, not at the silence limit");
});

test("a dropped connection fails pending requests with the browser's reason", async () => {
  const peer = scriptedPeer(() => []);
  const client = new HostClient(peer.open);
  const pending = client.request("hello", {});
  peer.disconnect("host_not_installed");
  await assert.rejects(pending, (e) => e.code === "host_not_installed");
});

test("the browsers' disconnect texts map to codes", () => {
  assert.equal(nativeDisconnectCode("Specified native messaging host not found."), "host_not_installed");
  assert.equal(nativeDisconnectCode("No such native application jp.omamori.host"), "host_not_installed");
  assert.equal(nativeDisconnectCode("Access to the specified native messaging host is forbidden."), "host_forbidden");
  assert.equal(nativeDisconnectCode("Native host has exited."), "host_disconnected");
  assert.equal(nativeDisconnectCode("Error when communicating with the native messaging host."), "host_disconnected");
  assert.equal(nativeDisconnectCode(undefined), "host_disconnected");
});

test("binary WebSocket frames: header JSON + raw image bytes, both ways", async () => {
  const { encodeBinaryFrame, decodeBinaryFrame } = await import("../../extension/lib/host.js");
  const image = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 250]);
  const frame = encodeBinaryFrame({ v: 1, id: "r3", type: "protect", name: "絵.png", image: bytesToBase64(image) });
  const length = new DataView(frame.buffer).getUint32(0, false);
  const header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + length)));
  assert.deepEqual(header, { v: 1, id: "r3", type: "protect", name: "絵.png" });
  assert.deepEqual([...frame.subarray(4 + length)], [...image]);

  // A reply frame as the server builds it: the reply without result.image, then the bytes.
  const replyHeader = new TextEncoder().encode(JSON.stringify({ v: 1, id: "r3", type: "protect", ok: true, result: { mime: "image/jpeg" } }));
  const reply = new Uint8Array(4 + replyHeader.length + image.length);
  new DataView(reply.buffer).setUint32(0, replyHeader.length, false);
  reply.set(replyHeader, 4);
  reply.set(image, 4 + replyHeader.length);
  const decoded = decodeBinaryFrame(reply.buffer);
  assert.equal(decoded.result.mime, "image/jpeg");
  assert.deepEqual([...base64ToBytes(decoded.result.image)], [...image]);

  assert.equal(decodeBinaryFrame(new Uint8Array([0, 0]).buffer), null, "shorter than the length field");
  assert.equal(decodeBinaryFrame(new Uint8Array([0, 0, 0, 9, 123]).buffer), null, "length beyond the frame");
  assert.equal(decodeBinaryFrame(new Uint8Array([0, 0, 0, 1, 123]).buffer), null, "header not JSON");
});

test("a host speaking another protocol version is refused at hello, and asked again next time", async () => {
  let protocol = 2;
  const peer = scriptedPeer((m) => [{ v: 1, id: m.id, type: m.type, ok: true, result: { protocol, version: "9.0" } }]);
  const client = new HostClient(peer.open);
  await assert.rejects(client.hello(), (e) => e.code === "host_bad_reply" && e.details.reason === "protocol");
  protocol = 1;
  assert.equal((await client.hello()).version, "9.0");
});
