// The composer's panel (content/overlay.js) in a happy-dom page modelled on X's Post dialog: once folded into its
// mark, it goes when the composer no longer shows the pictures it speaks of (X empties its home composer in place
// after the post) and stays while they are there.
import { test } from "node:test";
import assert from "node:assert/strict";

import { loadFixture } from "./dom.mjs";
import { i18n } from "./i18n-stand-in.mjs";

globalThis.chrome = { i18n };
const page = loadFixture("compose.modal.html");
Object.assign(globalThis, { document: page.document, innerWidth: 1280, innerHeight: 800 });
const { Overlay } = await import("../../extension/content/overlay.js");
const { mediaCleared } = await import("../../extension/content/selectors.js");
const { BatchPhase, createAttachment, transition } = await import("../../extension/content/attachment.js");

const FOLLOW_MS = 1000; // overlay.js: how often the folded mark looks at its composer
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A picture the host protected with a signature and the invisible mark, handed over to X. */
function handedOverView() {
  const report = ["signature", "mark"].map((step) => ({ step, applied: true }));
  const queued = createAttachment({ name: "art.png", type: "image/png", size: 1000 }, 0);
  const done = transition(transition(queued, "start"), "succeed", { result: { file: "protected", report, skipped: [], mark: null } });
  return { attachments: [done], phase: BatchPhase.READY, notices: [], finished: {} };
}

test("X's composer shows media while its attachments hold something", () => {
  const byId = (id) => page.document.getElementById(id);
  assert.equal(mediaCleared(byId("compose-dialog")), false);
  assert.equal(mediaCleared(byId("home-composer")), true, "the timeline's composer behind the dialog has none");
});

test("the folded mark stays while the pictures are in the composer, and goes once X empties it in place", async () => {
  const composer = page.document.getElementById("compose-dialog");
  const overlay = new Overlay(composer, { onCancel() {}, onAttachOriginal() {}, onClose() {} }, { name: "X", mediaCleared });
  const host = page.document.querySelector('[data-testid="omamori-overlay"]');
  try {
    overlay.render(handedOverView());
    overlay.expire(); // nothing to read: it folds into its mark
    assert.equal(host.dataset.folded, "true");
    await pause(FOLLOW_MS * 1.5);
    assert.ok(overlay.isOpen, "the mark went while its picture was still attached");

    page.document.getElementById("modal-attachments").replaceChildren(); // the post went: X keeps the composer, empty
    assert.equal(mediaCleared(composer), true);
    await pause(FOLLOW_MS * 1.5);
    assert.ok(composer.isConnected, "the composer itself stays");
    assert.equal(overlay.isOpen, false, "the mark still says pictures were protected over an empty composer");
  } finally {
    overlay.close();
    await page.close();
  }
});
