// The small panel beside X's composer that shows what omamori does with the
// images of one pick/drop/paste. It only renders a snapshot it is given
// (attachments + phase); the decisions live in features/compose-protect/batch.js
// and attachment.js. Once the files are handed over and nothing needs reading,
// the panel folds into a small mark below the composer that says what was
// applied (a click opens the panel again); the mark goes with the composer, and
// when the composer shows no pictures any more (X empties it in place once the
// post is sent).
// Elements carry data-testid attributes (extension/README.md).

import { t, errorText, message, pickHostText, remember, stageName, uiLanguage } from "../lib/i18n.js";
import { LOCAL_ERROR_CODES } from "../lib/messages.js";
import { State, BatchPhase, appliedToAll, mustBeRead } from "./attachment.js";
import { mediaCleared } from "./selectors.js";

const STYLE = `
:host { all: initial; }
.panel { position: fixed; z-index: 2147483000; box-sizing: border-box; width: 360px; max-width: calc(100vw - 16px);
  padding: 12px 14px; border-radius: 12px; font: 14px/1.4 system-ui, "Hiragino Sans", "Noto Sans CJK JP", sans-serif;
  background: #ffffff; color: #0f1419; box-shadow: 0 4px 24px rgba(0,0,0,.18); border: 1px solid #cfd9de; }
.title { font-weight: 700; margin: 0 0 8px; }
ul { list-style: none; margin: 0; padding: 0; }
li { margin: 6px 0; }
.name, .status, .applied, .warning { display: block; }
.name { font-size: 12px; color: #536471; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
progress { width: 100%; height: 6px; }
.status[data-state="failed"] { color: #b42318; }
.applied { color: #067647; font-size: 12px; }
.warning { color: #b42318; font-size: 12px; font-weight: bold; }
.notice { font-size: 12px; color: #536471; margin: 6px 0 0; }
.notice[data-tone="ok"] { color: #067647; }
.notice[data-tone="warning"] { color: #b54708; font-weight: 600; }
.buttons { display: flex; gap: 8px; justify-content: flex-end; margin-top: 10px; }
button { font: inherit; border-radius: 999px; padding: 4px 14px; border: 1px solid #cfd9de; background: #fff; color: #0f1419; cursor: pointer; }
.mark { position: fixed; z-index: 2147483000; max-width: min(320px, calc(100vw - 16px)); padding: 2px 10px;
  font: 12px/1.5 system-ui, "Hiragino Sans", "Noto Sans CJK JP", sans-serif; color: #067647; background: #ffffffe6;
  border-color: #abefc6; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  animation: omamori-fold-in .3s ease-out; }
.mark[data-partial="true"] { color: #b54708; border-color: #fedf89; }
@keyframes omamori-fold-in { from { opacity: 0; transform: translateY(-6px); } }
@media (prefers-reduced-motion: reduce) { .mark { animation: none; } }
@media (prefers-color-scheme: dark) {
  .panel { background: #15202b; color: #e7e9ea; border-color: #38444d; }
  .name, .notice { color: #8b98a5; }
  button { background: #15202b; color: #e7e9ea; border-color: #536471; }
  .applied, .notice[data-tone="ok"] { color: #47cd89; } .status[data-state="failed"], .warning { color: #f97066; }
  .notice[data-tone="warning"] { color: #fdb022; }
  .mark { background: #15202be6; color: #47cd89; border-color: #085d3a; }
  .mark[data-partial="true"] { color: #fdb022; border-color: #93370d; }
}`;

/**
 * What the panel says about the batch as a whole.
 * @type {Record<string, string>}
 */
const TITLES = {
  [BatchPhase.WORKING]: "overlay_title_working",
  [BatchPhase.ASKING]: "overlay_title_failed",
  [BatchPhase.READY]: "overlay_title_done",
  [BatchPhase.CANCELLED]: "overlay_title_cancelled",
};

// Read now, while the extension is there: if it is updated or reloaded under this page, _locales can no longer be
// read, and the panel must still say so (error_extension_reloaded) and offer the choice.
remember([
  ...Object.values(TITLES),
  "overlay_waiting",
  "overlay_protecting",
  "overlay_protected",
  "overlay_original_attached",
  "overlay_not_attached",
  "overlay_attach_original",
  "overlay_cancel",
  "overlay_close",
  "overlay_mark",
  "overlay_mark_partial",
  "overlay_mark_open",
  "notice_passthrough",
  ...LOCAL_ERROR_CODES.map((code) => `error_${code}`),
]);

/**
 * @typedef {{key: string, tone: "ok"|"warning"}} Note a line about the post: key in _locales; a warning keeps the
 *   panel until it is closed
 * @typedef {{attachments: import("./attachment.js").Attachment[], phase: string, notices: string[],
 *   finished: null|{error?: {code: string}}}} View what the panel shows
 * @typedef {{name: string, mediaCleared: (composer: Element) => boolean}} PanelSite the site as its panels know it:
 *   its short name for the sentences, and how to see that a composer's pictures are gone (sites.js)
 */

/**
 * The open panel of each composer, so that other features can add a line to it (see noteInComposer).
 * @type {WeakMap<Element, Overlay>}
 */
const panels = new WeakMap();

/**
 * Add a one-line note about the post to the composer's panel, opening a panel of its own when none is open.
 * @param {Element} composer
 * @param {Note} note
 * @returns {Overlay} the panel it went to
 */
export function noteInComposer(composer, note) {
  let panel = panels.get(composer);
  if (!panel?.isOpen) {
    // Notes come from X's Grok-edit control, so this panel is on X.
    const handlers = { onCancel: () => {}, onAttachOriginal: () => {}, onClose: () => opened.close() };
    const opened = new Overlay(composer, handlers, { name: t("site_short_x"), mediaCleared });
    opened.render({ attachments: [], phase: BatchPhase.READY, notices: [], finished: {} });
    panel = opened;
  }
  panel.addNote(note);
  return panel;
}

/** The texts that name the site ($SITE$): read with the site's name, when the composer feature starts. */
const SITE_TEXTS = [
  "overlay_title_working",
  "overlay_title_done",
  "overlay_title_done_original",
  "overlay_passthrough",
  "notice_left_out",
];

/**
 * The site as its panels know it, with the texts that name it (site_short_<id>) read now (see remember above).
 * @param {import("./sites.js").Site} site
 * @returns {PanelSite}
 */
export function rememberSite(site) {
  const name = t(`site_short_${site.id}`);
  for (const key of SITE_TEXTS) message(key, [name]);
  return { name, mediaCleared: site.mediaCleared };
}

/**
 * A protect-report step as a person reads it: our short word, else the host's sentence.
 * @param {import("./attachment.js").ReportStep} step
 */
function stepLabel(step) {
  return message(`step_${step.step}`) || pickHostText(step.message, uiLanguage());
}

/**
 * @param {import("./attachment.js").Attachment} attachment
 * @param {string} siteName
 */
function statusText(attachment, siteName) {
  const error = attachment.error ?? { code: "internal_error" }; // failed, original and cancelled have theirs
  switch (attachment.state) {
    case State.QUEUED:
      return t("overlay_waiting");
    case State.PROTECTING:
      return attachment.stage
        ? t("overlay_protecting_stage", [stageName(attachment.stage)])
        : t("overlay_protecting");
    case State.PROTECTED:
      return t("overlay_protected");
    case State.FAILED:
      return errorText(error);
    case State.ORIGINAL: // after a failure: say which one, then what was done
      return `${errorText(error)} ${t("overlay_original_attached")}`;
    case State.PASSTHROUGH:
      return t("overlay_passthrough", [siteName]);
    case State.CANCELLED: // by Cancel, or by the on-failure setting: then say what failed
      return attachment.error ? `${errorText(attachment.error)} ${t("overlay_not_attached")}` : t("overlay_not_attached");
  }
  return attachment.state;
}

/** How often a folded panel looks whether its composer is still there, still shows pictures, and where it is, in ms. */
const FOLLOW_MS = 1000;
/** How long a panel whose time is up stays after the pointer or the focus left it, in ms. */
const LEAVE_MS = 1500;

export class Overlay {
  #host;
  #root;
  #anchor;
  #handlers;
  /** @type {View|null} */
  #view = null;
  /** @type {Note[]} lines other features added (noteInComposer) */
  #notes = [];
  #site;
  /** folded into its mark (fold), until a click on the mark or a warning opens it again */
  #folded = false;
  /** @type {HTMLElement|null} the mark shown while folded */
  #mark = null;
  #follow = 0;

  /**
   * @param {Element} anchor the composer the panel sits beside
   * @param {{onCancel: () => void, onAttachOriginal: () => void, onClose: () => void}} handlers
   * @param {PanelSite} site (rememberSite)
   */
  constructor(anchor, handlers, site) {
    this.#anchor = anchor;
    this.#handlers = handlers;
    this.#site = site;
    this.#host = document.createElement("div");
    this.#host.setAttribute("data-testid", "omamori-overlay");
    // Closed, and its buttons act on a person's clicks only: a script in the page must not read the panel or press
    // "Attach the original" for them.
    this.#root = this.#host.attachShadow({ mode: "closed" });
    (document.body ?? document.documentElement).append(this.#host);
    panels.set(anchor, this);
  }

  get isOpen() {
    return this.#host.isConnected;
  }

  /**
   * One more line about the post (once per key), shown with the current view; a warning opens a folded panel.
   * @param {Note} note
   */
  addNote(note) {
    if (this.#notes.some((shown) => shown.key === note.key)) return;
    this.#notes.push(note);
    if (note.tone === "warning") this.#folded = false;
    if (this.#view) this.render(this.#view);
  }

  /**
   * @param {View} view notices: _locales keys of one-line notes; finished: set once the files were handed to the
   *   site (or could not be): the buttons give way to Close.
   */
  render(view) {
    const { attachments, phase, notices, finished } = view;
    this.#view = view;
    this.#host.dataset.phase = phase;
    this.#host.dataset.finished = String(Boolean(finished));
    this.#host.dataset.folded = String(this.#folded);
    const panel = element("div", { class: "panel", role: "status", "aria-live": "polite" });
    const originals = attachments.some((a) => a.state === State.ORIGINAL);
    const title = finished?.error
      ? errorText(finished.error)
      : attachments.length === 0
        ? t("overlay_title_post")
        : t(phase === BatchPhase.READY && originals ? "overlay_title_done_original" : TITLES[phase], [this.#site.name]);
    panel.append(element("p", { class: "title", "data-testid": "omamori-overlay-title" }, title));

    const list = element("ul");
    for (const attachment of attachments) {
      const item = element("li", { "data-testid": "omamori-item", "data-state": attachment.state });
      item.append(element("span", { class: "name" }, attachment.name));
      item.append(
        element(
          "span",
          { class: "status", "data-state": attachment.state, "data-testid": "omamori-item-status" },
          statusText(attachment, this.#site.name),
        ),
      );
      if (attachment.state === State.PROTECTING || attachment.state === State.QUEUED) {
        item.append(element("progress", { max: "1", value: String(attachment.fraction) }));
      }
      const { result } = attachment;
      if (attachment.state === State.PROTECTED && result) {
        const applied = result.report.filter((step) => step.applied).map(stepLabel);
        item.append(
          element("span", { class: "applied", "data-testid": "omamori-applied" }, "✓ " + applied.join(" · ")),
        );
        // A step asked for and not applied (no cloak model, no font, too small): its line says what to do.
        for (const step of result.skipped ?? []) {
          const text = "⚠ " + pickHostText(step.message, uiLanguage());
          item.append(element("span", { class: "warning", "data-testid": "omamori-warning" }, text));
        }
      }
      list.append(item);
    }
    panel.append(list);
    for (const key of notices) {
      panel.append(element("p", { class: "notice", "data-testid": "omamori-notice" }, t(key, [this.#site.name])));
    }
    for (const { key, tone } of this.#notes) {
      panel.append(element("p", { class: "notice", "data-testid": "omamori-notice", "data-note": key, "data-tone": tone }, t(key)));
    }

    const buttons = element("div", { class: "buttons" });
    if (finished || phase === BatchPhase.READY || phase === BatchPhase.CANCELLED) {
      buttons.append(button("overlay_close", "omamori-close", () => this.#close()));
    } else {
      if (phase === BatchPhase.ASKING) {
        buttons.append(button("overlay_attach_original", "omamori-attach-original", this.#handlers.onAttachOriginal));
      }
      buttons.append(button("overlay_cancel", "omamori-cancel", this.#handlers.onCancel));
    }
    panel.append(buttons);

    const style = element("style", {}, STYLE);
    const mark = this.#folded && finished && !finished.error ? markOf(attachments) : null;
    mark?.addEventListener("click", (event) => {
      event.stopPropagation();
      if (event.isTrusted) this.#unfold();
    });
    // Folded, the panel stays in the tree unseen: a click on the mark shows it as it is now.
    panel.hidden = mark !== null;
    this.#mark = mark;
    this.#root.replaceChildren(style, panel, ...(mark ? [mark] : []));
    if (mark) this.#placeMark(mark);
    else this.#place(panel);
  }

  close() {
    clearInterval(this.#follow);
    this.#host.remove();
  }

  /**
   * The panel's time is up (the files were handed over a few seconds ago): it folds into its mark unless it holds
   * something the person must read (attachment.js mustBeRead), and waits while the pointer or the focus is on it.
   */
  expire() {
    if (!this.#view || this.#folded) return;
    const warned = this.#notes.some((note) => note.tone === "warning");
    if (mustBeRead(this.#view.attachments, { ...this.#view, warned })) return;
    if (this.#host.matches(":hover, :focus-within")) {
      const later = () => setTimeout(() => this.expire(), LEAVE_MS);
      this.#host.addEventListener("mouseleave", later, { once: true });
      this.#host.addEventListener("focusout", later, { once: true });
      return;
    }
    this.#fold();
  }

  /** Close: a panel with protected images folds into its mark (what was applied stays said); any other goes. */
  #close() {
    const view = this.#view;
    if (view?.finished && !view.finished.error && appliedToAll(view.attachments)) this.#fold();
    else this.#handlers.onClose();
  }

  #fold() {
    this.#folded = true;
    if (this.#view) this.render(this.#view);
    clearInterval(this.#follow);
    // No event says that the composer left the page, moved (X scrolls its own columns) or was emptied in place
    // after the post (x.com's home composer stays, its pictures go): look now and then. A panel opened again from
    // its mark keeps looking: it too is about pictures that may be gone.
    this.#follow = setInterval(() => {
      if (!this.#anchor.isConnected || this.#site.mediaCleared(this.#anchor)) this.close();
      else if (this.#mark) this.#placeMark(this.#mark);
    }, FOLLOW_MS);
  }

  #unfold() {
    this.#folded = false;
    if (this.#view) this.render(this.#view);
  }

  /**
   * Just below the composer, kept inside the window.
   * @param {HTMLElement} panel
   */
  #place(panel) {
    const rect = this.#anchor.isConnected ? this.#anchor.getBoundingClientRect() : null;
    const margin = 8;
    const width = Math.min(360, innerWidth - 2 * margin);
    const left = rect ? Math.min(Math.max(rect.left, margin), innerWidth - width - margin) : innerWidth - width - margin;
    const top = rect ? Math.min(Math.max(rect.bottom + margin, margin), innerHeight - 160) : margin;
    panel.style.left = `${left}px`;
    panel.style.top = `${Math.max(top, margin)}px`;
  }

  /**
   * The mark: just below the composer's right end, out of the way of its buttons; inside the window.
   * @param {HTMLElement} mark
   */
  #placeMark(mark) {
    const rect = this.#anchor.getBoundingClientRect();
    const margin = 8;
    mark.style.right = `${Math.max(innerWidth - rect.right, margin)}px`;
    mark.style.top = `${Math.min(Math.max(rect.bottom + 4, margin), innerHeight - 32)}px`;
  }
}

/**
 * The folded panel's mark: what every protected image got ("signature · invisible mark"), said as partial when a
 * protection asked for was skipped; null when no image was protected (there is nothing to say it applied).
 * @param {import("./attachment.js").Attachment[]} attachments
 */
function markOf(attachments) {
  const applied = appliedToAll(attachments);
  if (!applied) return null;
  const names = applied.steps.length ? applied.steps.map(stepLabel).join(" · ") : t("overlay_protected");
  const text = t(applied.partial ? "overlay_mark_partial" : "overlay_mark", [names]);
  return element("button", {
    type: "button", class: "mark", "data-testid": "omamori-mark", "data-partial": String(applied.partial),
    title: t("overlay_mark_open"),
  }, (applied.partial ? "⚠ " : "✓ ") + text);
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {string} [text]
 */
function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {string} labelKey
 * @param {string} testId
 * @param {() => void} onClick
 */
function button(labelKey, testId, onClick) {
  const node = element("button", { type: "button", "data-testid": testId }, t(labelKey));
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    if (event.isTrusted) onClick();
  });
  return node;
}
