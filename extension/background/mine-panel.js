// "Is this mine?": the small panel on the page where the person asked. Injected by the background into the tab
// only when the person chose the menu entry (after lib/mine-view.js); the background then calls
// omamoriMinePanel.show(view) as the check goes on. The panel lives in a closed shadow root, so the page's scripts
// and styles cannot read or restyle the verdict or the person's own picture.

/**
 * @typedef {{show: (view: import("../lib/mine-view.js").MineView) => void, readonly root: ShadowRoot|null}} MinePanel
 * @typedef {typeof globalThis & {omamoriMinePanel?: MinePanel, omamoriMineView?: import("../lib/mine-view.js").MineViewer}} PanelScope
 */

/** Define `globalThis.omamoriMinePanel` in the page's isolated world. Self-contained, as installMineView. */
export function installMinePanel() {
  const scope = /** @type {PanelScope} */ (globalThis);
  if (scope.omamoriMinePanel) return; // injected again for a second check on the same page

  /** @type {HTMLElement|null} */
  let host = null;
  /** @type {ShadowRoot|null} */
  let root = null;

  function close() {
    host?.remove();
    host = null;
    root = null;
  }

  /**
   * Show `view` (see lib/mine-view.js) in the panel, opening it when it is not on the page.
   * @param {import("../lib/mine-view.js").MineView} view
   */
  function show(view) {
    if (!host?.isConnected || !root) {
      host = document.createElement("omamori-mine-panel");
      // Inline style on our own element: above the page, top right, out of the page's layout.
      host.style.cssText =
        "all: initial; position: fixed; top: 12px; right: 12px; z-index: 2147483647; width: min(380px, 92vw);" +
        "max-height: 90vh; overflow: auto; background: #fff; color: #0f1419; border: 1px solid #cfd9de; border-radius: 12px;" +
        "box-shadow: 0 4px 24px rgba(15, 20, 25, .25); padding: 12px 14px; box-sizing: border-box;";
      root = host.attachShadow({ mode: "closed" });
      document.documentElement.append(host);
    }
    /** @type {import("../lib/mine-view.js").MineViewer} */ (scope.omamoriMineView).render(root, view, { onClose: close });
  }

  scope.omamoriMinePanel = Object.freeze({
    show,
    /** The panel's shadow root (closed to the page; the extension's own scripts may read it). */
    get root() {
      return root;
    },
  });
}
