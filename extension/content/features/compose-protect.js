// Automatic protection in the composers of X and Bluesky (content/sites.js):
// images attached by the picker, by drag and drop or by paste are caught
// before the site's own handlers (capture phase at the window, ahead of
// React's root listeners and of the listeners on Bluesky's temporary picker),
// protected by the host through the background (which chooses the output for
// the sender's site), and handed back as the protected files: on X through the
// composer's own picker, on Bluesky through the picker the person used or as
// the same drop or paste.
// Nothing reaches the site silently when protection fails: the overlay asks.
// Only a person's own pick, drop or paste counts (event.isTrusted): a script
// in the page can build a composer and dispatch these events too, and must
// get nothing protected with the person's key. omamori's own hand-over events
// are untrusted too, and so go to the site untouched.

import { ext } from "../../lib/browser.js";
import { base64ToBytes, blobToBase64 } from "../../lib/base64.js";
import { ASK_A_PERSON_AFTER, CodedError, MAX_IMAGE_BYTES, PROTECT_PORT } from "../../lib/messages.js";
import { siteOf } from "../sites.js";
import {
  BatchPhase,
  State,
  afterLostPort,
  allows,
  batchPhase,
  createAttachment,
  hasProtectable,
  selectFiles,
  transition,
} from "../attachment.js";
import { Overlay, rememberSite } from "../overlay.js";
import { rememberHandedOver } from "../handed-over.js";

export const id = "compose-protect";
/** The composers open on any page of their site (X's Post dialog, replies; Bluesky's composer dialog). */
export const runsOn = (url) => siteOf(new URL(url).origin) !== null;
export const restartOnNavigation = false;

/** How long the panel stays after the files were handed over, in ms. */
const DONE_PANEL_MS = 8000;
/** How often an image at the background looks whether the extension is still there, in ms (see #send). */
const EXTENSION_CHECK_MS = 1000;

/**
 * Give the site the final files the way its media button does: on a picker,
 * with a bubbling change event (X and Bluesky accept untrusted ones). On X
 * drops and pastes are handed over this way too: Firefox hides files that an
 * extension put in a DataTransfer from the page, so a re-dispatched drop or
 * paste would arrive empty there, while a picker's FileList is the page's to
 * read.
 * @param {(HTMLInputElement|null)[]} pickers the picker the person used (if still in the page), then the
 *   composer's standing one
 * @param {File[]} files
 * @throws {CodedError} composer_gone when the composer was closed meanwhile
 */
function attachThroughPicker(pickers, files) {
  const picker = pickers.find((node) => node?.isConnected);
  if (!(picker instanceof HTMLInputElement)) throw new CodedError("composer_gone");
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  picker.files = transfer.files;
  picker.dispatchEvent(new Event("change", { bubbles: true }));
}

/**
 * A DataTransfer holding `files` that the page may read: in Firefox made with the page's own constructor
 * (`wrappedJSObject`), since one made in the content script hides its files from the page.
 * @param {File[]} files
 */
function pageTransfer(files) {
  const page = /** @type {any} */ (window).wrappedJSObject;
  const transfer = page ? new page.DataTransfer() : new DataTransfer();
  for (const file of files) transfer.items.add(file);
  return transfer;
}

/**
 * Give Bluesky the final files of a drop or a paste as the same kind of event, where it reads them (a drop on
 * the page's body, a paste on the editor): it has no picker that stays in the page.
 * @param {"drop"|"paste"} kind
 * @param {Element} target where the person dropped or pasted
 * @param {Element} composer
 * @param {File[]} files
 * @throws {CodedError} composer_gone when the composer was closed meanwhile
 */
function attachByEvent(kind, target, composer, files) {
  if (!composer.isConnected) throw new CodedError("composer_gone");
  const transfer = pageTransfer(files);
  const page = /** @type {any} */ (window).wrappedJSObject;
  const init = { bubbles: true, cancelable: true, composed: true };
  const Kind = kind === "drop" ? (page?.DragEvent ?? DragEvent) : (page?.ClipboardEvent ?? ClipboardEvent);
  const fields = kind === "drop" ? { ...init, dataTransfer: transfer } : { ...init, clipboardData: transfer };
  // In Firefox the event's fields must be the page's too (cloneInto keeps the DataTransfer itself).
  const options = page ? globalThis.cloneInto(fields, window, { wrapReflectors: true }) : fields;
  const at = target.isConnected ? target : kind === "drop" ? document.body : composer;
  at.dispatchEvent(new Kind(kind, options));
}

export function init(signal) {
  const site = siteOf(location.origin);
  if (site === null) return;
  const siteName = rememberSite(site.id);
  /** What the background keeps in storage for content scripts (background.js `Stored`). */
  const settings = { paused: false, siteOff: false, onFailure: "ask" };
  const isOff = (sitesOff) => Array.isArray(sitesOff) && sitesOff.includes(site.id);
  ext.storage.local.get(["paused", "sitesOff", "onFailure"]).then((stored) => {
    settings.paused = stored.paused === true;
    settings.siteOff = isOff(stored.sitesOff);
    settings.onFailure = String(stored.onFailure ?? "ask");
  });
  const onStorage = (changes, area) => {
    if (area !== "local") return;
    if (changes.paused) settings.paused = changes.paused.newValue === true;
    if (changes.sitesOff) settings.siteOff = isOff(changes.sitesOff.newValue);
    if (changes.onFailure) settings.onFailure = String(changes.onFailure.newValue ?? "ask");
  };
  ext.storage.onChanged.addListener(onStorage);
  signal.addEventListener("abort", () => ext.storage.onChanged.removeListener(onStorage));

  const wants = (event, files) => event.isTrusted && !settings.paused && !settings.siteOff && hasProtectable(files);

  window.addEventListener(
    "change",
    (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement)) return;
      const composer = site.pickerComposer(input);
      if (!composer) return;
      const files = [...input.files];
      if (!wants(event, files)) return;
      event.stopImmediatePropagation();
      input.value = ""; // the site must not find the originals on the input later
      const deliver = (final) => attachThroughPicker([input, site.standingPicker(composer)], final);
      new Batch(files, composer, () => settings.onFailure, deliver, siteName).start();
    },
    { capture: true, signal },
  );

  /** Drops and pastes: the files come in the event's DataTransfer, readable only while it is dispatched. */
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
    const deliver = site.handsDropsToPicker
      ? (final) => attachThroughPicker([site.standingPicker(composer)], final)
      : (final) => attachByEvent(kind, target, composer, final);
    new Batch(files, composer, () => settings.onFailure, deliver, siteName).start();
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

/**
 * Has this content script lost its extension? After an update, a reload or switching it off, Chromium leaves the
 * script running in the open page with `runtime.id` gone, and every `runtime.connect` throws.
 */
const extensionGone = () => !ext.runtime?.id;

/** The most recent batch: its finished panel gives way when the next one starts. */
let latestBatch = null;

/** The files of one pick, drop or paste, from interception to hand-over. */
class Batch {
  #attachments;
  #notices = [];
  #ports = new Map();
  #onFailure;
  #deliver;
  #overlay;
  #finished = null;

  /**
   * @param {File[]} files as the person attached them
   * @param {Element} composer where the panel goes
   * @param {() => string} onFailure the host's settings.extension.on_failure (ask, original or cancel), read when
   *   an image fails: the background refreshes it on every hello, which may come after the batch started
   * @param {(files: File[]) => void} deliver hands the final files to the site; throws CodedError
   * @param {string} siteName the site as the panel names it
   */
  constructor(files, composer, onFailure, deliver, siteName) {
    const { kept, leftOut } = selectFiles(files);
    this.#attachments = kept.map(createAttachment);
    if (leftOut.length) this.#notices.push("notice_left_out");
    if (this.#attachments.some((a) => a.state === State.PASSTHROUGH)) this.#notices.push("notice_passthrough");
    this.#onFailure = onFailure;
    this.#deliver = deliver;
    this.#overlay = new Overlay(composer, {
      onCancel: () => {
        this.#cancel();
        this.#overlay.close(); // the person asked for nothing: no panel to dismiss
      },
      onAttachOriginal: () => this.#each("useOriginal"),
      onClose: () => this.#overlay.close(),
    }, siteName);
  }

  start() {
    if (latestBatch && latestBatch.#finished) latestBatch.#overlay.close();
    latestBatch = this;
    this.#render();
    for (const attachment of this.#attachments) {
      if (attachment.state === State.QUEUED) this.#protect(attachment);
    }
  }

  async #protect({ index, file }) {
    if (file.size > MAX_IMAGE_BYTES) {
      this.#apply(index, "fail", { error: { code: "file_too_large", details: { bytes: file.size } } });
      return;
    }
    this.#apply(index, "start");
    let image;
    try {
      image = await blobToBase64(file);
    } catch {
      // The file went away or changed on disk after it was picked.
      this.#apply(index, "fail", { error: { code: "file_unreadable" } });
      return;
    }
    if (this.#attachments[index].state !== State.PROTECTING) return; // cancelled while reading
    this.#send(index, file, image);
  }

  /**
   * One try at the background for one image, on a port of its own. Every
   * failure the background knows of comes back as an answer and is never
   * retried. A port that closes without one is never waited on: when the
   * browser stopped the service worker the image is sent once more to a fresh
   * worker (afterLostPort); when the extension itself is gone, the person is
   * told to reload the page.
   */
  #send(index, file, image) {
    let port;
    try {
      port = ext.runtime.connect({ name: PROTECT_PORT });
    } catch {
      // The extension was reloaded or removed under this page: no background will ever answer.
      this.#apply(index, "fail", { error: { code: "extension_reloaded" } });
      return;
    }
    this.#ports.set(index, port);
    const release = () => {
      this.#ports.delete(index);
      port.disconnect();
    };
    port.onMessage.addListener((message) => {
      if (this.#ports.get(index) !== port) return; // a port given up on (cancelled, or replaced by a retry)
      if (message.type === "protect.progress") {
        this.#apply(index, "progress", { stage: message.stage, fraction: message.fraction });
      } else if (message.type === "protect.done") {
        release();
        const { image: protectedImage, name, mime, report = [], mark = null } = message.result;
        const protectedFile = new File([base64ToBytes(protectedImage)], name, { type: mime, lastModified: Date.now() });
        this.#apply(index, "succeed", { result: { file: protectedFile, report, mark } });
      } else if (message.type === "protect.failed") {
        release();
        this.#apply(index, "fail", { error: message.error });
      }
    });
    const lost = () => {
      clearInterval(watch);
      if (this.#ports.get(index) !== port) return;
      this.#ports.delete(index);
      if (this.#finished) return;
      const next = afterLostPort(this.#attachments[index], { extensionGone: extensionGone() });
      if (next.event === "retry") {
        this.#apply(index, "retry");
        this.#send(index, file, image);
      } else {
        this.#apply(index, "fail", { error: next.error });
      }
    };
    // Chromium does not close the ports of a content script whose extension was updated, reloaded or switched
    // off: the image would wait for ever. So while it is at the background, this page looks.
    const watch = setInterval(() => {
      if (this.#ports.get(index) !== port) clearInterval(watch); // answered, cancelled or replaced by a retry
      else if (extensionGone()) lost();
    }, EXTENSION_CHECK_MS);
    port.onDisconnect.addListener(lost);
    port.postMessage({ type: "protect.start", name: file.name, mime: file.type, image });
  }

  /** One event for one attachment; with #each, the only places the batch's attachments change. */
  #apply(index, event, data) {
    const attachment = this.#attachments[index];
    if (this.#finished || !allows(attachment, event)) return; // e.g. progress arriving after Cancel
    this.#attachments[index] = transition(attachment, event, data);
    const onFailure = event === "fail" ? this.#onFailure() : null;
    if (onFailure === "original" && !ASK_A_PERSON_AFTER.includes(data.error?.code)) {
      this.#attachments[index] = transition(this.#attachments[index], "useOriginal");
    }
    if (onFailure === "cancel") {
      this.#cancel();
      return;
    }
    this.#settle();
  }

  #each(event) {
    for (const attachment of this.#attachments) {
      if (allows(attachment, event)) this.#attachments[attachment.index] = transition(attachment, event);
    }
    this.#settle();
  }

  #cancel() {
    for (const port of this.#ports.values()) port.disconnect(); // the background stops waiting for the host
    this.#ports.clear();
    this.#each("cancel");
  }

  /** Hand the files over once nothing is pending, then show the outcome. */
  #settle() {
    const phase = batchPhase(this.#attachments);
    if (phase === BatchPhase.READY) {
      const files = this.#attachments
        .filter((a) => a.state !== State.CANCELLED)
        .map((a) => (a.state === State.PROTECTED ? a.result.file : a.file));
      try {
        this.#deliver(files);
        this.#finished = {};
        for (const { state, result } of this.#attachments) {
          if (state === State.PROTECTED) rememberHandedOver(result.file, result.report).catch(() => {}); // unreadable: nothing to check later
        }
      } catch (error) {
        this.#finished = { error: { code: error.code ?? "composer_gone" } };
      }
    } else if (phase === BatchPhase.CANCELLED) {
      this.#finished = {};
    }
    this.#render();
    const clean = this.#attachments.every((a) => a.state === State.PROTECTED || a.state === State.PASSTHROUGH);
    if (this.#finished && !this.#finished.error && clean) setTimeout(() => this.#overlay.expire(), DONE_PANEL_MS);
  }

  #render() {
    this.#overlay.render({
      attachments: this.#attachments,
      phase: batchPhase(this.#attachments),
      notices: this.#notices,
      finished: this.#finished,
    });
  }
}
