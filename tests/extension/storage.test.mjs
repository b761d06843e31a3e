// followStored (lib/storage.js): a content feature sees the stored values once read, then every change, and nothing
// once its signal aborted.
import { test } from "node:test";
import assert from "node:assert/strict";

const area = { paused: true, sitesOff: ["bluesky"] };
const changeListeners = new Set();
let release; // lets a test hold the first read back
const firstRead = new Promise((resolve) => (release = resolve));
globalThis.chrome = {
  storage: {
    local: {
      get: async (keys) => {
        const read = { ...area }; // as it is when asked: a change can land while the answer is on its way
        await firstRead;
        return Object.fromEntries(keys.filter((key) => key in read).map((key) => [key, read[key]]));
      },
    },
    onChanged: { addListener: (l) => changeListeners.add(l), removeListener: (l) => changeListeners.delete(l) },
  },
};
/** storage.local.set as the browser tells listeners of it. */
function set(changes, areaName = "local") {
  const told = {};
  for (const [key, value] of Object.entries(changes)) {
    told[key] = { oldValue: area[key], newValue: value };
    if (areaName === "local") area[key] = value;
  }
  for (const listener of [...changeListeners]) listener(told, areaName);
}

const { Stored, followStored } = await import("../../extension/lib/storage.js");

test("every key once read (absent ones undefined), then each change; a change before the read wins over it", async () => {
  const seen = [];
  const controller = new AbortController();
  followStored([Stored.paused, Stored.sitesOff, Stored.onFailure], (stored) => seen.push({ ...stored }), controller.signal);
  set({ [Stored.paused]: false }); // newer than what the read will bring back
  release();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen.at(-1), { paused: false, sitesOff: ["bluesky"], onFailure: undefined });
  set({ [Stored.onFailure]: "original", connection: { kind: "native" } });
  assert.deepEqual(seen.at(-1), { paused: false, sitesOff: ["bluesky"], onFailure: "original" });
  const count = seen.length;
  set({ connection: { kind: "websocket" } });
  set({ [Stored.paused]: true }, "session");
  assert.equal(seen.length, count, "other keys and other areas are not news");

  controller.abort();
  set({ [Stored.paused]: true });
  assert.equal(seen.length, count, "nothing after the feature stopped");
  assert.equal(changeListeners.size, 0, "and its listener is gone");
});
