// "Is this mine?": the answer drawn for a person — on any web page (inside the panel's closed shadow root) and in
// the popup and the options page. It only draws what it is given; every word comes from _locales through
// lib/mine.js.

/**
 * @typedef {{heading: string, found: string, save: string, saveHint: string, close: string}} MineLabels
 * @typedef {{html: string, name: string}} EvidenceSheet the host's evidence sheet (verify with report: true)
 * @typedef {object} MineView what the panel shows
 * @property {string} state asking, denied, checking, done or failed
 * @property {string} [verdict] once done: yours, looks_like_yours, someone_else or not_found
 * @property {string} sentence
 * @property {{src: string}|null} [found] the picture checked
 * @property {{src: string|null, caption: string, missing: string}|null} [ledger] the ledger's picture of it
 * @property {EvidenceSheet|null} [sheet]
 * @property {MineLabels} labels
 * @typedef {{render: (root: Element|ShadowRoot, view: MineView, options?: {onClose?: () => void}) => void}} MineViewer
 */

/**
 * Define `globalThis.omamoriMineView` ({render}) where this runs, and return it. Self-contained (it uses nothing
 * from outside its body), because the background injects it into pages as it is (scripting.executeScript's
 * `func`): a file injected into any site could not import, and modules would have to be web-accessible to every
 * site.
 */
export function installMineView() {
  const scope = /** @type {typeof globalThis & {omamoriMineView?: MineViewer}} */ (globalThis);
  if (scope.omamoriMineView) return scope.omamoriMineView;
  const STYLE = `
    .mine { font: 14px/1.45 system-ui, "Hiragino Sans", "Noto Sans CJK JP", sans-serif; color: inherit; }
    .mine h2 { font-size: 14px; margin: 0 0 6px; }
    .mine p { margin: 4px 0; }
    .mine[data-verdict="yours"] .sentence { color: #067647; font-weight: 600; }
    .mine[data-verdict="looks_like_yours"] .sentence { color: #b54708; font-weight: 600; }
    .mine[data-state="failed"] .sentence, .mine[data-state="denied"] .sentence { color: #b42318; }
    .mine .pictures { display: flex; gap: 8px; margin: 8px 0; }
    .mine figure { margin: 0; flex: 1 1 0; min-width: 0; }
    .mine img { display: block; max-width: 100%; max-height: 160px; border: 1px solid #cfd9de; border-radius: 4px; }
    .mine figcaption, .mine .hint { font-size: 12px; opacity: .75; }
    .mine .buttons { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 6px; }
    .mine button { font: inherit; border-radius: 999px; padding: 4px 12px; border: 1px solid currentColor;
      background: transparent; color: inherit; cursor: pointer; }
    .mine button.primary { background: #1d9bf0; color: #fff; border-color: #1d9bf0; }`;

  /**
   * An element with attributes and children (strings become text, never HTML).
   * @param {string} tag
   * @param {Record<string, string|null|undefined>|null} attributes
   * @param {(Node|string|null|undefined)[]} children
   */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  /** @param {string|null} src @param {string} caption @param {string} missing @param {string} testId */
  function figure(src, caption, missing, testId) {
    const picture = src ? el("img", { src, alt: "", "data-testid": testId }) : el("p", { class: "hint" }, missing);
    return el("figure", null, picture, el("figcaption", null, caption));
  }

  /** Save the evidence sheet as a file, through a download link (a click of the person's: no permission needed). */
  /** @param {EvidenceSheet} sheet */
  function save(sheet) {
    const url = URL.createObjectURL(new Blob([sheet.html], { type: "text/html;charset=utf-8" }));
    const link = el("a", { href: url, download: sheet.name });
    link.style.display = "none";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /**
   * Draw `view` into `root` (an element or a shadow root), replacing what was there.
   * @param {Element|ShadowRoot} root
   * @param {MineView} view
   * @param {{onClose?: () => void}} [options] onClose: show a Close button that calls it
   */
  function render(root, view, { onClose } = {}) {
    const { labels } = view;
    const pictures = [];
    if (view.found?.src) pictures.push(figure(view.found.src, labels.found, "", "omamori-mine-found"));
    if (view.ledger) pictures.push(figure(view.ledger.src, view.ledger.caption, view.ledger.missing, "omamori-mine-ledger"));
    const buttons = [];
    const { sheet } = view;
    if (sheet) {
      const button = el("button", { type: "button", class: "primary", "data-testid": "omamori-mine-save" }, labels.save);
      button.addEventListener("click", () => save(sheet));
      buttons.push(button);
    }
    if (onClose) {
      const button = el("button", { type: "button", "data-testid": "omamori-mine-close" }, labels.close);
      button.addEventListener("click", onClose);
      buttons.push(button);
    }
    const section = el(
      "section",
      { class: "mine", "data-testid": "omamori-mine", "data-state": view.state, "data-verdict": view.verdict ?? null },
      el("h2", null, labels.heading),
      el("p", { class: "sentence", "data-testid": "omamori-mine-sentence", role: "status" }, view.sentence),
      pictures.length ? el("div", { class: "pictures" }, ...pictures) : null,
      view.sheet ? el("p", { class: "hint" }, labels.saveHint) : null,
      buttons.length ? el("div", { class: "buttons" }, ...buttons) : null,
    );
    if (root instanceof ShadowRoot) {
      // A constructed sheet: a page's Content-Security-Policy may refuse <style> elements, even ours.
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
      root.replaceChildren(section);
    } else {
      root.replaceChildren(el("style", null, STYLE), section);
    }
  }

  scope.omamoriMineView = Object.freeze({ render });
  return scope.omamoriMineView;
}
