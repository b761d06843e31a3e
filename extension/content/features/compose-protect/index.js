// Automatic protection in the composers of X and Bluesky (content/sites.js):
// images attached by the picker, by drag and drop or by paste are caught
// before the site's own handlers (capture phase at the window, ahead of
// React's root listeners and of the listeners on Bluesky's temporary picker),
// protected by the host through the background (which chooses the output for
// the sender's site), and handed back as the protected files: on X through the
// composer's own picker, on Bluesky through the picker the person used or as
// the same drop or paste.
// Nothing reaches the site silently when protection fails: the overlay asks.
// This file catches the files; batch.js sees them through the host; hand-over.js gives them back.
// Only a person's own pick, drop or paste counts (event.isTrusted): a script
// in the page can build a composer and dispatch these events too, and must
// get nothing protected with the person's key. omamori's own hand-over events
// are untrusted too, and so go to the site untouched.

import { Stored, followStored } from "../../../lib/storage.js";
import { hasProtectable } from "../../attachment.js";
import { rememberSite } from "../../overlay.js";
import { siteOf } from "../../sites.js";
import { Batch } from "./batch.js";
import { attachByEvent, attachThroughPicker } from "./hand-over.js";

export const id = "compose-protect";
/** The composers open on any page of their site (X's Post dialog, replies; Bluesky's composer dialog). */
export const runsOn = (/** @type {string} */ url) => siteOf(new URL(url).origin) !== null;
export const restartOnNavigation = false;

/** @typedef {(files: File[]) => void} Deliver hands the final files to the site; throws CodedError */

/** @param {AbortSignal} signal */
export function init(signal) {
  const site = siteOf(location.origin);
  if (site === null) return;
  const panelSite = rememberSite(site);
  /** What the background keeps in storage for content scripts (lib/storage.js). */
  const settings = { paused: false, siteOff: false, onFailure: "ask" };
  followStored(
    [Stored.paused, Stored.sitesOff, Stored.onFailure],
    (stored) => {
      const sitesOff = stored[Stored.sitesOff];
      settings.paused = stored[Stored.paused] === true;
      settings.siteOff = Array.isArray(sitesOff) && sitesOff.includes(site.id);
      settings.onFailure = String(stored[Stored.onFailure] ?? "ask");
    },
    signal,
  );

  /** @type {Batch|null} the most recent batch: its finished panel gives way when the next one starts */
  let latest = null;
  /**
   * @param {File[]} files
   * @param {Element} composer
   * @param {(files: File[]) => void} deliver
   */
  const protect = (files, composer, deliver) => {
    latest?.giveWay();
    latest = new Batch(files, composer, { onFailure: () => settings.onFailure, deliver, site: panelSite, signal });
    latest.start();
  };

  /** @param {Event} event @param {File[]} files */
  const wants = (event, files) => event.isTrusted && !settings.paused && !settings.siteOff && hasProtectable(files);

  window.addEventListener(
    "change",
    (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement)) return;
      const composer = site.pickerComposer(input);
      if (!composer) return;
      const files = [...(input.files ?? [])];
      if (!wants(event, files)) return;
      event.stopImmediatePropagation();
      input.value = ""; // the site must not find the originals on the input later
      /** @type {Deliver} */
      const deliver = (final) => attachThroughPicker([input, site.standingPicker(composer)], final);
      protect(files, composer, deliver);
    },
    { capture: true, signal },
  );

  /**
   * Drops and pastes: the files come in the event's DataTransfer, readable only while it is dispatched.
   * @template {DragEvent|ClipboardEvent} E
   * @param {"drop"|"paste"} kind
   * @param {(target: EventTarget|null) => Element|null} composerOf
   * @param {(event: E) => DataTransfer|null} transferOf
   * @returns {(event: E) => void}
   */
  const takeTransfer = (kind, composerOf, transferOf) => (event) => {
    const composer = composerOf(event.target);
    const transfer = transferOf(event);
    if (!composer || !transfer) return;
    const files = [...transfer.files];
    if (!wants(event, files)) return;
    // Neither the site nor the browser (which would open a dropped file) may take the originals; the
    // text that comes with a pasted image is dropped, as X itself does when files are pasted.
    event.preventDefault();
    event.stopImmediatePropagation();
    const target = /** @type {Element} */ (event.target);
    /** @type {Deliver} */
    const deliver = site.handsDropsToPicker
      ? (final) => attachThroughPicker([site.standingPicker(composer)], final)
      : (final) => attachByEvent(kind, target, composer, final);
    protect(files, composer, deliver);
  };
  window.addEventListener("drop", takeTransfer("drop", site.dropComposer, (event) => event.dataTransfer), {
    capture: true,
    signal,
  });
  window.addEventListener("paste", takeTransfer("paste", site.pasteComposer, (event) => event.clipboardData), {
    capture: true,
    signal,
  });
}
