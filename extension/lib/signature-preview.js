// The live signature preview: the host draws the signature on its sample picture with the settings a page is
// editing (signature.preview, docs/protocol.md), by protection's own code, so the picture is what will be posted.
// The options page and the first-run page each mount it with one call and tell it what the fields say.

import { ask as askBackground } from "./ask.js";
import { base64ToBytes } from "./base64.js";
import { errorText, pickHostText, t, uiLanguage } from "./i18n.js";
import { errorJson } from "./messages.js";

/** Quiet time after the last change before the host is asked, in ms: typing a name asks once, not per letter. */
export const PREVIEW_DEBOUNCE_MS = 250;

/**
 * @typedef {{[path: string]: unknown}} SettingsChanges dotted setting -> value ({"signature.opacity": 0.3})
 * @typedef {{image: string, mime: string, signature: {applied: boolean, message: import("./i18n.js").HostText},
 *   skipped: {reason: string, message: import("./i18n.js").HostText}|null, font: {path: string, family: string}|null}}
 *   PreviewResult signature.preview's result (docs/protocol.md)
 * @typedef {{result: PreviewResult, error: null} | {result: null, error: import("./messages.js").ErrorJson}} PreviewAnswer
 */

/**
 * The sentence under the picture: what was drawn, or what was not and why.
 * @param {PreviewResult} result
 */
export function previewCaption(result) {
  return pickHostText(result.skipped?.message ?? result.signature.message, uiLanguage());
}

/**
 * Mount the preview in `container` (its content is replaced by a picture and a line of status). The container's
 * data-state says where it is: idle, drawing, drawn, skipped (the signature is on but could not be drawn) or failed.
 * @param {HTMLElement} container
 * @param {{onAnswer?: (answer: PreviewAnswer) => boolean|void, debounceMs?: number,
 *   ask?: (message: {type: string, [field: string]: unknown}) => Promise<any>}} [options]
 *   onAnswer: called with each answer (never with one overtaken by a later change), so that the page can show a
 *   refused value next to its field (lib/field-errors.js): true when it did, and the preview then only points
 *   there; ask: how the background is asked (tests)
 * @returns {{show: (changes: SettingsChanges) => void}} show: draw with these settings over the saved ones
 *   (nothing is saved); the latest call wins
 */
export function mountSignaturePreview(container, { onAnswer = () => {}, debounceMs = PREVIEW_DEBOUNCE_MS, ask = askBackground } = {}) {
  const doc = container.ownerDocument;
  const picture = doc.createElement("img");
  picture.alt = t("signature_preview_alt");
  picture.dataset.testid = "signature-preview-image";
  picture.hidden = true;
  const status = doc.createElement("p");
  status.setAttribute("role", "status");
  status.dataset.testid = "signature-preview-status";
  container.classList.add("signature-preview");
  container.replaceChildren(picture, status);
  container.dataset.state = "idle";
  let latest = 0;
  let timer = /** @type {ReturnType<typeof setTimeout>|undefined} */ (undefined);
  let pictureUrl = "";

  /** @param {SettingsChanges} changes @param {number} number */
  async function draw(changes, number) {
    /** @type {PreviewAnswer} */
    let answer;
    try {
      answer = { result: await ask({ type: "signature.preview", options: changes }), error: null };
    } catch (error) {
      answer = { result: null, error: errorJson(error) };
    }
    if (number !== latest) return; // a later change is on its way: this picture is already out of date
    const shownAtField = onAnswer(answer) === true;
    if (answer.result) {
      URL.revokeObjectURL(pictureUrl);
      pictureUrl = URL.createObjectURL(new Blob([base64ToBytes(answer.result.image)], { type: answer.result.mime }));
      picture.src = pictureUrl;
      picture.hidden = false;
      status.textContent = previewCaption(answer.result);
      container.dataset.state = answer.result.skipped ? "skipped" : "drawn";
    } else {
      status.textContent = shownAtField ? t("signature_preview_see_field") : errorText(answer.error);
      container.dataset.state = "failed";
    }
  }

  return {
    show(changes) {
      latest += 1;
      const number = latest;
      clearTimeout(timer);
      container.dataset.state = "drawing";
      status.textContent = t("signature_preview_drawing");
      timer = setTimeout(() => draw(changes, number), debounceMs);
    },
  };
}
