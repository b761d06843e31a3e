// One request over a port of its own, for work that reports progress (protecting an image, the cloak's preview).
// The asking side (a content script, the options page) sends one start message; the background answers with
// `<replies>.progress {stage, fraction}` while the host works, then one `<replies>.done {result}` or
// `<replies>.failed {error}`. Both sides go through this module, so they agree on the names.

import { ext } from "./browser.js";
import { CodedError, PREVIEW_PORT, PROTECT_PORT } from "./messages.js";

/** port name -> the prefix of the messages that answer on it */
const REPLIES = Object.freeze({ [PROTECT_PORT]: "protect", [PREVIEW_PORT]: "preview" });

/** How often a request that is out looks whether the extension is still there, in ms (see requestOverPort). */
const EXTENSION_CHECK_MS = 1000;

/** @typedef {{stage: string, fraction: number}} Progress */

/**
 * The background's answers on `port`. Nothing is posted once `signal` aborted: the asking side closed the port.
 * @param {chrome.runtime.Port} port one of the ports of REPLIES
 * @param {AbortSignal} [signal]
 */
export function portAnswers(port, signal) {
  const prefix = REPLIES[/** @type {keyof typeof REPLIES} */ (port.name)];
  /** @param {object} message */
  const post = (message) => {
    if (!signal?.aborted) port.postMessage(message);
  };
  return {
    /** @param {Progress} progress */
    progress: ({ stage, fraction }) => post({ type: `${prefix}.progress`, stage, fraction }),
    /** @param {unknown} result */
    done: (result) => post({ type: `${prefix}.done`, result }),
    /** @param {{code: string}} error as errorJson gives it */
    failed: (error) => post({ type: `${prefix}.failed`, error }),
  };
}

/**
 * Has this script lost its extension? After an update, a reload or switching it off, Chromium leaves a content
 * script running in the open page with `runtime.id` gone, and every `runtime.connect` throws.
 */
const extensionGone = () => !ext.runtime?.id;

/**
 * The port closed without an answer: the browser stopped the background's service worker (a fresh one can take the
 * request again), or the extension itself is gone from under this page (`extensionGone`: nothing will ever answer).
 */
export class PortClosed extends CodedError {
  /** @param {boolean} gone */
  constructor(gone) {
    super(gone ? "extension_reloaded" : "host_disconnected");
    this.extensionGone = gone;
  }
}

/**
 * Send `start` on a new port named `name` and wait for the background's answer.
 * @param {string} name PROTECT_PORT or PREVIEW_PORT
 * @param {{type: string, [field: string]: unknown}} start the message that starts the work (MESSAGE_TYPES)
 * @param {{onProgress?: (progress: Progress) => void, signal?: AbortSignal}} [options] signal: giving up closes the
 *   port (the background then stops waiting for the host) and rejects with signal.reason
 * @returns {Promise<any>} the result of `<replies>.done`
 * @throws {CodedError} the error of `<replies>.failed`; PortClosed when the port closed without an answer
 */
export function requestOverPort(name, start, { onProgress, signal } = {}) {
  const prefix = REPLIES[/** @type {keyof typeof REPLIES} */ (name)];
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    /** @type {chrome.runtime.Port} */
    let port;
    try {
      port = ext.runtime.connect({ name });
    } catch {
      reject(new PortClosed(true)); // the extension was reloaded or removed under this page
      return;
    }
    /** @param {boolean} close @param {() => void} settle */
    const finish = (close, settle) => {
      clearInterval(watch);
      signal?.removeEventListener("abort", onAbort);
      port.onMessage.removeListener(onMessage);
      port.onDisconnect.removeListener(onLost);
      if (close) port.disconnect();
      settle();
    };
    /** @param {{type: string, stage?: string, fraction?: number, result?: unknown, error?: {code: string, message?: {en?: string, ja?: string}|null, details?: object}}} message */
    const onMessage = (message) => {
      if (message.type === `${prefix}.progress`) {
        onProgress?.({ stage: String(message.stage ?? ""), fraction: Number(message.fraction) || 0 });
      } else if (message.type === `${prefix}.done`) {
        finish(true, () => resolve(message.result));
      } else if (message.type === `${prefix}.failed`) {
        const { code = "internal_error", message: hostMessage = null, details = {} } = message.error ?? {};
        finish(true, () => reject(new CodedError(code, hostMessage, details)));
      }
    };
    const onLost = () => finish(false, () => reject(new PortClosed(extensionGone())));
    const onAbort = () => finish(true, () => reject(signal?.reason));
    // Chromium does not close the ports of a content script whose extension was updated, reloaded or switched
    // off: the request would wait for ever. So while it is out, this page looks.
    const watch = setInterval(() => {
      if (extensionGone()) onLost();
    }, EXTENSION_CHECK_MS);
    port.onMessage.addListener(onMessage);
    port.onDisconnect.addListener(onLost);
    signal?.addEventListener("abort", onAbort);
    port.postMessage(start);
  });
}
