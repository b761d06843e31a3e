// The life of one file the user attached in X's composer, and of the batch
// of files that arrived together (one pick, one drop or one paste).
//
// All transitions happen in `transition`, driven by the TRANSITIONS table;
// an attachment is a frozen value and every step returns a new one, so the
// overlay can render any snapshot and tests can walk every path.

import { PROTECTABLE_TYPES, MAX_IMAGES_PER_POST } from "../lib/messages.js";

export const State = Object.freeze({
  QUEUED: "queued", // an image waiting for its turn at the host
  PROTECTING: "protecting", // at the host; progress arrives
  PROTECTED: "protected", // the host returned the protected file
  FAILED: "failed", // protection failed; waits for "attach the original" or "cancel"
  ORIGINAL: "original", // the person chose to attach the original after a failure
  PASSTHROUGH: "passthrough", // not an image omamori protects (GIF, video): attached untouched
  CANCELLED: "cancelled", // will not be attached
});

/**
 * state -> event -> next state. Anything not listed is a bug in the caller.
 * @type {Readonly<Record<string, Readonly<Record<string, string>>>>}
 */
const TRANSITIONS = Object.freeze({
  [State.QUEUED]: { start: State.PROTECTING, fail: State.FAILED, cancel: State.CANCELLED },
  [State.PROTECTING]: {
    progress: State.PROTECTING,
    retry: State.PROTECTING, // the way to the host broke before an answer: send the image again (canRetry)
    succeed: State.PROTECTED,
    fail: State.FAILED,
    cancel: State.CANCELLED,
  },
  [State.PROTECTED]: { cancel: State.CANCELLED },
  [State.FAILED]: { useOriginal: State.ORIGINAL, cancel: State.CANCELLED },
  [State.ORIGINAL]: {},
  [State.PASSTHROUGH]: { cancel: State.CANCELLED },
  [State.CANCELLED]: {},
});

/**
 * How many times one image is sent to the background. A second try is made
 * only when the port to the background closed without an answer, which is
 * what happens when the browser stops the service worker mid-request; the
 * host's own failures are answers and are not retried.
 */
export const MAX_ATTEMPTS = 2;

export class TransitionError extends Error {
  /** @param {string} state @param {string} event */
  constructor(state, event) {
    super(`attachment: no transition from ${state} on ${event}`);
    this.name = "TransitionError";
  }
}

/**
 * @typedef {{step: string, applied: boolean, message?: import("../lib/i18n.js").HostText,
 *   details?: {warning?: unknown, placement?: string, box?: number[]}}} ReportStep one step of the host's protect report
 * @typedef {{step: string, reason: string, message: import("../lib/i18n.js").HostText}} SkippedStep a step asked for
 *   and not applied, with one short line saying what is missing and what to do (docs/protocol.md)
 * @typedef {{file: File, report: ReportStep[], skipped: SkippedStep[], mark: object|null}} Protected the host's
 *   protect result, image as a File
 * @typedef {{code: string, message?: import("../lib/i18n.js").HostText|null, details?: object}} AttachmentError
 * @typedef {{index: number, file: File, name: string, state: string, stage: string|null, fraction: number,
 *   attempt: number, result: Protected|null, error: AttachmentError|null}} AttachmentFields
 * @typedef {Readonly<AttachmentFields>} Attachment
 */

/**
 * A new attachment for `file` ({name, type, size} at least: a File in the page).
 * @param {File} file
 * @param {number} index position in the batch (kept for the overlay's order)
 * @returns {Attachment}
 */
export function createAttachment(file, index) {
  const protectable = PROTECTABLE_TYPES.includes(file.type);
  return Object.freeze({
    index,
    file,
    name: file.name,
    state: protectable ? State.QUEUED : State.PASSTHROUGH,
    stage: null, // the host's current step (decode, signature, mark, ...)
    fraction: 0, // progress of this image, 0-1
    attempt: 0, // how many times it was sent to the background (start and retry count)
    result: null, // the host's protect result (image replaced by bytes) once protected
    error: null, // {code, message} once failed
  });
}

/**
 * The attachment after `event`.
 * @param {Attachment} attachment
 * @param {"start"|"progress"|"retry"|"succeed"|"fail"|"useOriginal"|"cancel"} event
 * @param {{stage?: string, fraction?: number, result?: Protected, error?: AttachmentError}} [data]
 *   progress: {stage, fraction}; succeed: {result}; fail: {error}
 * @returns {Attachment}
 * @throws {TransitionError} when `event` is not allowed in the current state
 */
export function transition(attachment, event, data = {}) {
  const next = TRANSITIONS[attachment.state]?.[event];
  if (!next) throw new TransitionError(attachment.state, event);
  /** @type {Partial<AttachmentFields>} */
  const changes = { state: next };
  if (event === "start" || event === "retry") {
    changes.attempt = attachment.attempt + 1;
    changes.stage = null;
    changes.fraction = 0;
  } else if (event === "progress") {
    changes.stage = data.stage ?? null;
    changes.fraction = Math.min(1, Math.max(attachment.fraction, data.fraction ?? 0));
  } else if (event === "succeed") {
    changes.result = data.result;
    changes.fraction = 1;
  } else if (event === "fail") {
    changes.error = data.error;
  }
  return Object.freeze({ ...attachment, ...changes });
}

/**
 * May the image be sent again after the port to the background closed without an answer?
 * @param {Attachment} attachment
 */
export function canRetry(attachment) {
  return allows(attachment, "retry") && attachment.attempt < MAX_ATTEMPTS;
}

/**
 * What becomes of an image whose port to the background closed without an answer. The background answers every
 * failure it knows of (the host missing, forbidden, timed out, a refused request) with a reply, so a silent close
 * means either that the browser stopped the service worker (a fresh worker can take the image: retry) or that the
 * extension was updated or reloaded under this page, which no retry from here can reach.
 * @param {Attachment} attachment
 * @param {{extensionGone: boolean}} context extensionGone: this content script lost its extension (runtime.id
 *   is gone, or runtime.connect throws)
 * @returns {{event: "retry"} | {event: "fail", error: {code: string}}}
 */
export function afterLostPort(attachment, { extensionGone }) {
  if (extensionGone) return { event: "fail", error: { code: "extension_reloaded" } };
  if (canRetry(attachment)) return { event: "retry" };
  return { event: "fail", error: { code: "host_disconnected" } };
}

/**
 * Can `event` happen now? (for enabling buttons)
 * @param {Attachment} attachment
 * @param {string} event
 */
export function allows(attachment, event) {
  return Boolean(TRANSITIONS[attachment.state]?.[event]);
}

export const BatchPhase = Object.freeze({
  WORKING: "working", // some image is still queued or at the host
  ASKING: "asking", // nothing is working and some image failed: the person decides
  READY: "ready", // every attachment is settled and at least one will be attached
  CANCELLED: "cancelled", // every attachment is settled and none will be attached
});

/**
 * Where a batch of attachments stands, derived from its members.
 * @param {Attachment[]} attachments
 */
export function batchPhase(attachments) {
  if (attachments.some((a) => a.state === State.QUEUED || a.state === State.PROTECTING)) return BatchPhase.WORKING;
  if (attachments.some((a) => a.state === State.FAILED)) return BatchPhase.ASKING;
  // Every other state is settled.
  return attachments.some((a) => a.state !== State.CANCELLED) ? BatchPhase.READY : BatchPhase.CANCELLED;
}

/**
 * Split the files of one user action: the images X will take (at most
 * MAX_IMAGES_PER_POST protectable images; GIF and video pass along) and the
 * images left out because X would refuse a fifth one.
 * @param {File[]} files
 */
export function selectFiles(files) {
  const kept = [];
  const leftOut = [];
  let images = 0;
  for (const file of files) {
    const isImage = PROTECTABLE_TYPES.includes(file.type);
    if (isImage && images >= MAX_IMAGES_PER_POST) {
      leftOut.push(file);
      continue;
    }
    if (isImage) images += 1;
    kept.push(file);
  }
  return { kept, leftOut };
}

/**
 * Does this batch contain anything omamori protects?
 * @param {File[]} files
 */
export function hasProtectable(files) {
  return files.some((file) => PROTECTABLE_TYPES.includes(file.type));
}

/** The protections a person is told of once the panel folds, as the host's report names its steps. */
const PROTECTIONS = Object.freeze(["signature", "cloak", "mark"]);

/**
 * What every protected image of the batch got: the protection steps applied to each, in the report's order (one
 * image's steps, kept where every image has them applied), and whether some image lacks one the person asked for
 * (the host's `skipped`). Null when no image was protected.
 * @param {Attachment[]} attachments
 * @returns {{steps: ReportStep[], partial: boolean}|null}
 */
export function appliedToAll(attachments) {
  const results = attachments.flatMap((a) => (a.state === State.PROTECTED && a.result ? [a.result] : []));
  if (!results.length) return null;
  const appliedIn = (/** @type {Protected} */ result, /** @type {string} */ step) =>
    result.report.some((entry) => entry.step === step && entry.applied);
  const steps = results[0].report.filter(
    ({ step }) => PROTECTIONS.includes(step) && results.every((result) => appliedIn(result, step)),
  );
  return { steps, partial: results.some((result) => (result.skipped ?? []).length > 0) };
}

/**
 * Must the person read the finished panel before it folds away by itself? Only a batch where everything went as
 * asked folds on its own; anything else stays until closed, since a line that vanishes unread is a line never said:
 * the files could not be handed over, an image failed, went as its original or not at all, a protection asked for
 * was skipped, a file was left out or passed through untouched, or another feature added a warning.
 * @param {Attachment[]} attachments
 * @param {{finished: null|{error?: object}, notices: string[], warned: boolean}} view
 */
export function mustBeRead(attachments, { finished, notices, warned }) {
  if (!finished || finished.error || warned || notices.length) return true;
  return attachments.some(
    (a) => a.state !== State.PROTECTED || (a.result?.skipped ?? []).length > 0,
  );
}
