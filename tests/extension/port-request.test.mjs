// The request over a port (lib/port-request.js), both sides joined by a fake runtime: what the asking side sees for
// each way the background can answer, or not answer.
import { test } from "node:test";
import assert from "node:assert/strict";

/** A listener list shaped like chrome.events.Event. */
function event() {
  const listeners = new Set();
  return {
    addListener: (listener) => listeners.add(listener),
    removeListener: (listener) => listeners.delete(listener),
    fire: (...args) => [...listeners].forEach((listener) => listener(...args)),
  };
}

/** Two joined ends of a port: what one posts, the other receives; disconnecting one tells the other. */
function portPair(name) {
  const ends = [0, 1].map(() => ({ name, onMessage: event(), onDisconnect: event(), posted: [], open: true }));
  ends.forEach((end, i) => {
    const other = ends[1 - i];
    end.postMessage = (message) => {
      if (!end.open) throw new Error("Attempting to use a disconnected port object");
      end.posted.push(message);
      queueMicrotask(() => other.open && other.onMessage.fire(structuredClone(message), other));
    };
    end.disconnect = () => {
      if (!end.open) return;
      end.open = false;
      other.open = false;
      queueMicrotask(() => other.onDisconnect.fire(other));
    };
  });
  return ends;
}

/** The background's ends of the ports the page opened, and whether runtime.connect works. */
const runtime = { id: "omamori", background: [], connectThrows: false };
runtime.connect = ({ name }) => {
  if (runtime.connectThrows) throw new Error("Extension context invalidated.");
  const [page, background] = portPair(name);
  runtime.background.push(background);
  return page;
};
globalThis.chrome = { runtime };

const { PortClosed, portAnswers, requestOverPort } = await import("../../extension/lib/port-request.js");
const { CodedError, PREVIEW_PORT, PROTECT_PORT } = await import("../../extension/lib/messages.js");

/** The background's end of the port just opened, once the start message came on it. */
async function nextStart() {
  const port = runtime.background.at(-1);
  const start = await new Promise((resolve) => port.onMessage.addListener(resolve));
  return { port, start };
}

test("progress comes back as it happens, then the result; the asker closes the port", async () => {
  const progress = [];
  const asked = requestOverPort(PROTECT_PORT, { type: "protect.start", image: "AA" }, { onProgress: (p) => progress.push(p) });
  const { port, start } = await nextStart();
  assert.deepEqual(start, { type: "protect.start", image: "AA" });
  const answer = portAnswers(port);
  answer.progress({ stage: "mark", fraction: 0.5 });
  answer.done({ image: "BB" });
  assert.deepEqual(await asked, { image: "BB" });
  assert.deepEqual(progress, [{ stage: "mark", fraction: 0.5 }]);
  assert.deepEqual(port.posted.map((m) => m.type), ["protect.progress", "protect.done"], "the protect port's names");
  assert.equal(port.open, false, "closed once answered");
});

test("a failure is the background's CodedError, with the host's sentence and details", async () => {
  const asked = requestOverPort(PREVIEW_PORT, { type: "cloak.preview.start", image: "AA", strength: 1 });
  const { port } = await nextStart();
  const hostSays = { en: "The image is damaged.", ja: "画像が壊れています。" };
  portAnswers(port).failed(new CodedError("image_damaged", hostSays, { bytes: 3 }).toJSON());
  await assert.rejects(asked, (error) => {
    assert.ok(error instanceof CodedError && !(error instanceof PortClosed));
    assert.deepEqual(error.toJSON(), { code: "image_damaged", message: hostSays, details: { bytes: 3 } });
    return true;
  });
  assert.equal(port.posted[0].type, "preview.failed", "the preview port's names");
});

test("a port closed without an answer is PortClosed: the worker stopped, or the extension is gone", async () => {
  let asked = requestOverPort(PROTECT_PORT, { type: "protect.start" });
  let { port } = await nextStart();
  port.disconnect();
  await assert.rejects(asked, (error) => error instanceof PortClosed && !error.extensionGone && error.code === "host_disconnected");

  asked = requestOverPort(PROTECT_PORT, { type: "protect.start" });
  ({ port } = await nextStart());
  delete runtime.id; // what Chromium leaves a content script whose extension was reloaded
  port.disconnect();
  await assert.rejects(asked, (error) => error instanceof PortClosed && error.extensionGone && error.code === "extension_reloaded");
  runtime.id = "omamori";

  runtime.connectThrows = true;
  await assert.rejects(requestOverPort(PROTECT_PORT, { type: "protect.start" }), (error) => error.extensionGone === true);
  runtime.connectThrows = false;
});

test("a request whose extension vanishes with the port left open is given up within the watch's second", { timeout: 5000 }, async () => {
  const asked = requestOverPort(PROTECT_PORT, { type: "protect.start" });
  await nextStart();
  const started = Date.now();
  delete runtime.id;
  try {
    await assert.rejects(asked, (error) => error instanceof PortClosed && error.extensionGone);
  } finally {
    runtime.id = "omamori";
  }
  assert.ok(Date.now() - started < 2500);
});

test("giving up closes the port, rejects with the reason, and nothing after it reaches the asker", async () => {
  const controller = new AbortController();
  const progress = [];
  const asked = requestOverPort(PROTECT_PORT, { type: "protect.start" }, { signal: controller.signal, onProgress: (p) => progress.push(p) });
  const { port } = await nextStart();
  const stopped = new Promise((resolve) => port.onDisconnect.addListener(resolve));
  controller.abort(new CodedError("cancelled"));
  await assert.rejects(asked, (error) => error.code === "cancelled");
  await stopped; // the background learns it, and stops waiting for the host
  const background = new AbortController();
  background.abort();
  portAnswers(port, background.signal).progress({ stage: "mark", fraction: 1 });
  assert.deepEqual(port.posted, [], "the background posts nothing on a closed port");
  assert.deepEqual(progress, []);
  await assert.rejects(requestOverPort(PROTECT_PORT, { type: "protect.start" }, { signal: controller.signal }), (error) => error.code === "cancelled");
});
