// The files of one pick, drop or paste, from interception to hand-over: each image protected by the host through
// the background on a port of its own, the panel kept up to date, and the final files handed to the site once
// nothing is pending. Every change to the batch's attachments goes through the state machine of attachment.js.

import { base64ToBytes, blobToBase64 } from "../../../lib/base64.js";
import { ASK_A_PERSON_AFTER, CodedError, MAX_IMAGE_BYTES, PROTECT_PORT } from "../../../lib/messages.js";
import { PortClosed, requestOverPort } from "../../../lib/port-request.js";
import {
  BatchPhase,
  State,
  afterLostPort,
  allows,
  batchPhase,
  createAttachment,
  selectFiles,
  transition,
} from "../../attachment.js";
import { Overlay } from "../../overlay.js";
import { rememberHandedOver } from "../../handed-over.js";

/** How long the panel stays after the files were handed over before it may fold into its mark, in ms. */
const DONE_PANEL_MS = 6000;

/**
 * @typedef {object} BatchOptions
 * @property {() => string} onFailure the host's settings.extension.on_failure (ask, original or cancel), read when
 *   an image fails: the background refreshes it on every hello, which may come after the batch started
 * @property {(files: File[]) => void} deliver hands the final files to the site; throws CodedError
 * @property {import("../../overlay.js").PanelSite} site the site as its panel knows it (overlay.js rememberSite)
 * @property {AbortSignal} signal the feature's lifetime: when it ends, the batch stops waiting and its panel closes
 */

export class Batch {
  /** @type {import("../../attachment.js").Attachment[]} */
  #attachments;
  /** @type {string[]} */
  #notices = [];
  /** @type {Map<number, AbortController>} index -> the request at the background for that image */
  #requests = new Map();
  #onFailure;
  #deliver;
  #overlay;
  #signal;
  /** @type {null|{error?: {code: string}}} set once the files were handed over (or could not be) */
  #finished = null;
  #expiry = 0;

  /**
   * @param {File[]} files as the person attached them
   * @param {Element} composer where the panel goes
   * @param {BatchOptions} options
   */
  constructor(files, composer, { onFailure, deliver, site, signal }) {
    const { kept, leftOut } = selectFiles(files);
    this.#attachments = kept.map(createAttachment);
    if (leftOut.length) this.#notices.push("notice_left_out");
    if (this.#attachments.some((a) => a.state === State.PASSTHROUGH)) this.#notices.push("notice_passthrough");
    this.#onFailure = onFailure;
    this.#deliver = deliver;
    this.#signal = signal;
    this.#overlay = new Overlay(
      composer,
      {
        onCancel: () => {
          this.#cancel();
          this.#overlay.close(); // the person asked for nothing: no panel to dismiss
        },
        onAttachOriginal: () => this.#each("useOriginal"),
        onClose: () => this.#overlay.close(),
      },
      site,
    );
    signal.addEventListener("abort", this.#stop, { once: true });
  }

  start() {
    this.#render();
    for (const attachment of this.#attachments) {
      if (attachment.state === State.QUEUED) this.#protect(attachment);
    }
  }

  /** Close the panel if the batch is finished: the next batch's panel takes its place. */
  giveWay() {
    if (this.#finished) this.#overlay.close();
  }

  /** The feature stops (its signal aborted): stop waiting for the background, hand nothing over, close the panel. */
  #stop = () => {
    if (!this.#finished) this.#cancel();
    clearTimeout(this.#expiry);
    this.#overlay.close();
  };

  /** @param {import("../../attachment.js").Attachment} attachment */
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
   * One try at the background for one image. Every failure the background knows of comes back as an answer and is
   * never retried. A port that closes without one is never waited on: when the browser stopped the service worker
   * the image is sent once more to a fresh worker (afterLostPort); when the extension itself is gone, the person
   * is told to reload the page.
   * @param {number} index
   * @param {File} file
   * @param {string} image the file in base64
   */
  async #send(index, file, image) {
    const request = new AbortController();
    this.#requests.set(index, request);
    /** @type {{event: "succeed"|"fail"|"retry", data?: object}} */
    let outcome;
    try {
      const result = await requestOverPort(
        PROTECT_PORT,
        { type: "protect.start", name: file.name, mime: file.type, image },
        { onProgress: (progress) => this.#apply(index, "progress", progress), signal: request.signal },
      );
      const { image: protectedImage, name, mime, report = [], skipped = [], mark = null } = result;
      const protectedFile = new File([base64ToBytes(protectedImage)], name, { type: mime, lastModified: Date.now() });
      outcome = { event: "succeed", data: { result: { file: protectedFile, report, skipped, mark } } };
    } catch (error) {
      if (error instanceof PortClosed) {
        const next = afterLostPort(this.#attachments[index], { extensionGone: error.extensionGone });
        outcome = next.event === "retry" ? next : { event: "fail", data: { error: next.error } };
      } else {
        outcome = { event: "fail", data: { error: error instanceof CodedError ? error.toJSON() : { code: "internal_error" } } };
      }
    }
    if (this.#requests.get(index) !== request) return; // given up on (cancelled)
    this.#requests.delete(index);
    if (outcome.event === "retry") {
      if (this.#finished) return;
      this.#apply(index, "retry");
      this.#send(index, file, image);
    } else {
      this.#apply(index, outcome.event, outcome.data);
    }
  }

  /**
   * One event for one attachment; with #each, the only places the batch's attachments change.
   * @param {number} index
   * @param {"start"|"progress"|"retry"|"succeed"|"fail"} event
   * @param {any} [data]
   */
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

  /** @param {"useOriginal"|"cancel"} event */
  #each(event) {
    for (const attachment of this.#attachments) {
      if (allows(attachment, event)) this.#attachments[attachment.index] = transition(attachment, event);
    }
    this.#settle();
  }

  #cancel() {
    // Closing the ports makes the background stop waiting for the host.
    for (const request of this.#requests.values()) request.abort(new CodedError("cancelled"));
    this.#requests.clear();
    this.#each("cancel");
  }

  /** Hand the files over once nothing is pending, then show the outcome. */
  #settle() {
    const phase = batchPhase(this.#attachments);
    if (phase === BatchPhase.READY) {
      const files = this.#attachments
        .filter((a) => a.state !== State.CANCELLED)
        .map((a) => (a.state === State.PROTECTED && a.result ? a.result.file : a.file));
      try {
        this.#deliver(files);
        this.#finished = {};
        for (const { result } of this.#attachments) {
          if (result) rememberHandedOver(result.file, result.report).catch(() => {}); // unreadable: nothing to check later
        }
      } catch (error) {
        this.#finished = { error: { code: error instanceof CodedError ? error.code : "composer_gone" } };
      }
    } else if (phase === BatchPhase.CANCELLED) {
      this.#finished = {};
    }
    this.#render();
    if (this.#finished) this.#signal.removeEventListener("abort", this.#stop);
    // The overlay folds only a panel with nothing to read (attachment.js mustBeRead), looked at when the time is up:
    // a warning about the post may come in meanwhile.
    if (this.#finished) {
      this.#expiry = setTimeout(() => this.#overlay.expire(), DONE_PANEL_MS);
    }
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
