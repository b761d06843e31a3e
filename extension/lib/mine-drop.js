// "Is this mine?" on the popup and the options page: a picture dropped anywhere on the page (or chosen with the
// file picker) is checked by the host's verify, and the answer drawn as on a web page (lib/mine-view.js), with the
// evidence sheet to save.

import { ask } from "./ask.js";
import { blobToBase64 } from "./base64.js";
import { errorText, t } from "./i18n.js";
import { CodedError, MAX_IMAGE_BYTES, errorJson } from "./messages.js";
import { mineLabels, mineView } from "./mine.js";
import { installMineView } from "./mine-view.js";

/**
 * @param {{zone: HTMLElement, input?: HTMLInputElement, answer: HTMLElement}} parts zone: highlighted while a
 *   picture is dragged over the page; input: the file picker, if the page has one (the popup has none: a file
 *   chooser closes it); answer: where the answer is drawn
 */
export function startMineDrop({ zone, input, answer }) {
  const labels = mineLabels(t);
  const { render } = installMineView();
  /** @type {string|null} the object URL of the picture shown, revoked when the next one comes */
  let shown = null;

  /** @param {File} file */
  async function check(file) {
    if (shown) URL.revokeObjectURL(shown);
    shown = URL.createObjectURL(file);
    const found = { src: shown };
    const draw = (/** @type {Omit<import("./mine-view.js").MineView, "labels"|"found">} */ view) =>
      render(answer, { ...view, found, labels });
    if (file.size > MAX_IMAGE_BYTES) {
      draw({ state: "failed", sentence: errorText({ code: "check_too_large" }) });
      return;
    }
    draw({ state: "checking", sentence: t("mine_checking") });
    try {
      let image;
      try {
        image = await blobToBase64(file);
      } catch {
        throw new CodedError("file_unreadable"); // moved or changed on disk after it was dropped
      }
      draw(mineView(await ask({ type: "mine.check", image }), t));
    } catch (error) {
      draw({ state: "failed", sentence: errorText(errorJson(error)) });
    }
  }

  // The whole page takes the drop (a browser would otherwise open the file in place of the page).
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.dataset.over = "true";
  });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) delete zone.dataset.over;
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    delete zone.dataset.over;
    const files = [...(event.dataTransfer?.files ?? [])];
    const file = files.find((f) => f.type.startsWith("image/")) ?? files[0];
    if (file) check(file);
  });
  input?.addEventListener("change", () => {
    const [file] = input.files ?? [];
    if (file) check(file);
    input.value = "";
  });
}
