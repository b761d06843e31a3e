// Grok's edits, blocked at posting: when images are attached in a composer omamori watches, turn on X's "Block
// modifications by Grok" for that post if the composer offers it: a checkbox or switch in the composer, or an item
// of a menu or dialog one of its buttons opens (opened and closed again as a person would, the focus given back).
// The control is found by its label text (selectors.js), never by X's class names. The panel by the composer says
// what happened; the background records it for the popup. The host's setting extension.block_grok_edits (options
// page, `omamori settings set`; cached by the background as blockGrokEdits) turns this off.

import { ask } from "../../lib/ask.js";
import { X_ORIGINS } from "../../lib/messages.js";
import { Stored, followStored } from "../../lib/storage.js";
import { noteInComposer } from "../overlay.js";
import {
  SELECTORS,
  composerOf,
  controlState,
  dialogSaveButton,
  findSettingControls,
  grokEditOpeners,
} from "../selectors.js";

export const id = "grok-edits";
/** X's composers open on any page of every X host (the Post dialog, replies, X Pro's composer column). */
export const runsOn = (/** @type {string} */ url) => X_ORIGINS.includes(new URL(url).origin);
export const restartOnNavigation = false;

/** Quiet time after the attached media changed before looking for X's control, in ms; and the longest wait. */
const SETTLE_MS = 300;
const SETTLE_MAX_MS = 3000;
/** How long a menu or dialog, or a control's new state, may take to show, in ms. */
const LAYER_WAIT_MS = 1500;
const POLL_MS = 50;

/**
 * What the panel says, by what the background made of the outcome (grokedits.seen).
 * @type {Readonly<Record<string, {key: string, tone: "ok"|"warning"}>>}
 */
const NOTES = Object.freeze({
  blocked: { key: "grok_edits_blocked", tone: "ok" },
  by_setting: { key: "grok_edits_by_setting", tone: "ok" },
  not_found: { key: "grok_edits_not_found", tone: "warning" },
});

/** @param {AbortSignal} signal */
export function init(signal) {
  /** What the background keeps in storage for content scripts (lib/storage.js). */
  const settings = { block: true, paused: false };
  followStored(
    [Stored.blockGrokEdits, Stored.paused],
    (stored) => {
      settings.block = stored[Stored.blockGrokEdits] !== false;
      settings.paused = stored[Stored.paused] === true;
    },
    signal,
  );

  /** Attachment boxes X has shown, and whether they held images when last looked at. */
  const hadImages = new WeakMap();
  const look = () => {
    for (const box of document.querySelectorAll(SELECTORS.attachments)) {
      const hasImages = box.querySelector("img") !== null;
      const fresh = hasImages && !hadImages.get(box);
      hadImages.set(box, hasImages);
      const composer = fresh ? composerOf(box) : null;
      if (composer && settings.block && !settings.paused) protectPost(composer, signal);
    }
  };
  const observer = new MutationObserver(look);
  observer.observe(document.documentElement, { childList: true, subtree: true });
  signal.addEventListener("abort", () => observer.disconnect());
}

/**
 * Turn the control on for the post being written in `composer`, then say what happened.
 * @param {Element} composer
 * @param {AbortSignal} signal
 */
async function protectPost(composer, signal) {
  await settled(composer, signal);
  if (signal.aborted || !composer.isConnected) return;
  const blocked = await turnOnIn(composer, signal);
  if (signal.aborted) return;
  const outcome = blocked ? "blocked" : "not_found";
  let note;
  try {
    // The background records it for the popup, and says whether to tell: "not found" is said once per session.
    ({ note } = await ask({ type: "grokedits.seen", outcome }));
  } catch {
    note = outcome; // the background was being restarted: say what this page saw
  }
  if (note) noteInComposer(composer, NOTES[note]);
}

/**
 * Resolves once the composer has not changed for SETTLE_MS (X renders the media and its controls), at most
 * SETTLE_MAX_MS.
 * @param {Element} composer
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function settled(composer, signal) {
  return new Promise((resolve) => {
    let timer = 0;
    const done = () => {
      observer.disconnect();
      clearTimeout(timer);
      clearTimeout(limit);
      resolve();
    };
    const observer = new MutationObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(done, SETTLE_MS);
    });
    observer.observe(composer, { childList: true, subtree: true, attributes: true });
    timer = setTimeout(done, SETTLE_MS);
    const limit = setTimeout(done, SETTLE_MAX_MS);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The first truthy value of `probe()` within `ms`, else null.
 * @template T
 * @param {() => T} probe
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<T|null>}
 */
async function waitFor(probe, ms, signal) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value || Date.now() > deadline || signal.aborted) return value || null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Find X's control in the composer, else behind the buttons that may open it, and turn it on.
 * @param {Element} composer
 * @param {AbortSignal} signal
 * @returns {Promise<boolean>} whether it is on now
 */
async function turnOnIn(composer, signal) {
  const [inComposer] = findSettingControls(composer, ["grokEdits"]);
  if (inComposer) return switchOn(inComposer.control, signal);
  const focused = document.activeElement;
  try {
    for (const opener of grokEditOpeners(composer)) {
      const on = await turnOnBehind(opener, signal);
      if (on !== null) return on;
    }
    return false;
  } finally {
    // Opening a menu moves the focus; the person goes on typing where they were.
    if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) {
      focused.focus({ preventScroll: true });
    }
  }
}

/**
 * Open what `opener` opens, turn the control on if it is there, and close it again.
 * @param {HTMLElement} opener
 * @param {AbortSignal} signal
 * @returns {Promise<boolean|null>} whether the control is on; null when it was not there
 */
async function turnOnBehind(opener, signal) {
  const before = new Set(document.querySelectorAll(SELECTORS.layer));
  opener.click();
  const layer = await waitFor(
    () => [...document.querySelectorAll(SELECTORS.layer)].find((node) => !before.has(node) && !node.contains(opener)),
    LAYER_WAIT_MS,
    signal,
  );
  if (!layer) return null;
  const [inside] = findSettingControls(layer, ["grokEdits"]);
  const on = inside ? await switchOn(inside.control, signal) : null;
  await close(layer, opener, { save: on === true, signal });
  return on;
}

/**
 * Click a checkbox, switch or menu item that is off, and see it on. A menu may close as its item is chosen; the
 * click then stands for the choice (X's menus close on a choice).
 * @param {HTMLElement} control
 * @param {AbortSignal} signal
 */
async function switchOn(control, signal) {
  const state = controlState(control);
  if (state !== "off") return state === "on";
  control.click();
  return Boolean(await waitFor(() => !control.isConnected || controlState(control) === "on", LAYER_WAIT_MS, signal));
}

/**
 * Close a menu or dialog as a person would: a dialog's Save when something was chosen, else Escape, else the
 * opener again.
 * @param {Element} layer
 * @param {HTMLElement} opener
 * @param {{save: boolean, signal: AbortSignal}} options
 */
async function close(layer, opener, { save, signal }) {
  const gone = () => !layer.isConnected;
  if (gone()) return;
  const saveButton = save && layer.matches('[role="dialog"], [role="alertdialog"]') ? dialogSaveButton(layer) : null;
  if (saveButton) saveButton.click();
  else layer.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", code: "Escape", keyCode: 27, bubbles: true }));
  if (await waitFor(gone, LAYER_WAIT_MS, signal)) return;
  if (opener.isConnected) opener.click();
  await waitFor(gone, LAYER_WAIT_MS, signal);
}
