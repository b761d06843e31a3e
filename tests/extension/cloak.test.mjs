// What the options page makes of the host's cloak status, and the preview's progress.
import { test } from "node:test";
import assert from "node:assert/strict";

import { cloakState, previewCanStart, previewPercent } from "../../extension/lib/cloak.js";
import { Tier, refusal } from "../../extension/lib/messages.js";

test("the cloak is offered only when the connected host has its model", () => {
  assert.equal(cloakState({ connected: true, version: "0.1.0", cloak: true }), "available");
  assert.equal(cloakState({ connected: true, version: "0.1.0", cloak: false }), "missing");
  assert.equal(cloakState({ connected: true, version: "0.1.0" }), "missing"); // an older host never says yes
  assert.equal(cloakState({ connected: false, error: { code: "host_not_installed" } }), "no-host");
  assert.equal(cloakState(undefined), "no-host");
});

test("a preview can be started only with the model at the host and none running", () => {
  for (const preview of ["idle", "done", "failed"]) assert.equal(previewCanStart("available", preview), true, preview);
  // The cloak state is reloaded when the connection is saved: that must not let a second preview start.
  assert.equal(previewCanStart("available", "working"), false);
  for (const cloak of ["checking", "missing", "no-host"]) assert.equal(previewCanStart(cloak, "idle"), false, cloak);
});

test("preview progress follows the cloak and ends at 100 only when done", () => {
  assert.equal(previewPercent("decode", 0), 0);
  assert.equal(previewPercent("cloak", 0.5), 50);
  assert.equal(previewPercent("cloak", 1), 99);
  assert.equal(previewPercent("cloak", 7), 99);
  assert.equal(previewPercent("cloak", -1), 0);
  assert.equal(previewPercent("cloak", Number.NaN), 0);
  assert.equal(previewPercent("done", 1), 100);
});

test("a preview is started by the extension's own pages only, with an image and a strength in range", () => {
  const start = { type: "cloak.preview.start", image: "iVBORw0KGgo=", strength: 1 };
  assert.equal(refusal(start, Tier.PAGE), null);
  assert.match(refusal(start, Tier.X), /not accepted/);
  assert.match(refusal({ ...start, strength: 3 }, Tier.PAGE), /bad field strength/);
  assert.match(refusal({ ...start, image: "" }, Tier.PAGE), /bad field image/);
  assert.match(refusal({ ...start, name: "art.png" }, Tier.PAGE), /unexpected field/);
});
