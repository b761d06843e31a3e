// "omamori: is this mine?" on any image on any site: a context-menu entry; the image's bytes read as the page
// shows it (X's images at their original size), sent to the local host's verify and nowhere else, and the answer
// shown in a small panel on that page, with the evidence sheet to save.
//
// Site access is asked for when the person first checks an image from a site (optional_host_permissions), never at
// install: the image's site, to read its bytes, and the page's, to show the panel there. activeTab (granted by the
// menu click itself) lets the panel say what is going on while the browser asks.

import { ext } from "../lib/browser.js";
import { base64ToBytes, bytesToBase64 } from "../lib/base64.js";
import { errorText, t } from "../lib/i18n.js";
import { CodedError, MAX_IMAGE_BYTES, errorJson } from "../lib/messages.js";
import { MINE_MENU_ID, isCovered, isWebAddress, largestImageUrl, mineLabels, mineView, sitePattern } from "../lib/mine.js";
import { installMineView } from "../lib/mine-view.js";
import { installMinePanel } from "./mine-panel.js";

/**
 * Site access held now (permissions.getAll().origins), kept in step with the browser, so that a click can tell
 * at once, before anything awaits, whether it has to ask.
 * @type {string[]}
 */
let granted = [];

async function refreshGranted() {
  granted = (await ext.permissions.getAll()).origins ?? [];
}

async function createMenu() {
  await ext.contextMenus.removeAll();
  ext.contextMenus.create({ id: MINE_MENU_ID, title: ext.i18n.getMessage("menu_is_this_mine"), contexts: ["image"] });
}

/**
 * Start the feature. `verify(body)` sends one verify request to the host and resolves with its result.
 * @param {{verify: (body: object) => Promise<any>}} deps
 */
export function startIsThisMine({ verify }) {
  ext.runtime.onInstalled.addListener(createMenu);
  ext.runtime.onStartup.addListener(createMenu); // again at each browser start: harmless where the browser kept it
  refreshGranted();
  ext.permissions.onAdded.addListener(refreshGranted);
  ext.permissions.onRemoved.addListener(refreshGranted);

  /**
   * contextMenus.onClicked: runs while the browser still counts the click as the person's gesture.
   * @param {chrome.contextMenus.OnClickData} info
   * @param {chrome.tabs.Tab} [tab]
   */
  function onMenuClicked(info, tab) {
    if (info.menuItemId !== MINE_MENU_ID || !info.srcUrl || tab?.id === undefined) return;
    const src = largestImageUrl(info.srcUrl);
    const pageUrl = info.pageUrl ?? tab.url ?? "";
    // The image's site (to read it), the page's (the panel), the frame's when the image is in one (blob: images).
    const sites = [...new Set([src, pageUrl, info.frameUrl ?? ""].filter(isWebAddress).map(sitePattern))];
    const missing = sites.filter((site) => !isCovered(site, granted));
    // Asked now, before any await: permissions.request is only accepted during the gesture. Already granted: no
    // question at all (the browser would not ask again either).
    const access = missing.length ? ext.permissions.request({ origins: missing }) : null;
    checkOnPage({ info, tabId: tab.id, src, pageUrl, access, verify }).catch((error) => {
      console.warn("omamori: is this mine? failed:", error);
    });
  }

  ext.contextMenus.onClicked.addListener(onMenuClicked);
  // The same listener on the worker's global, for the end-to-end test: headless Chromium shows no context menu,
  // so the test calls it with the OnClickData Chromium passes (no page can reach an extension's worker).
  /** @type {typeof globalThis & {omamoriMenuClicked?: typeof onMenuClicked}} */ (globalThis).omamoriMenuClicked = onMenuClicked;
}

/** @typedef {Omit<import("../lib/mine-view.js").MineView, "labels">} PanelView */

/**
 * The panel in the tab's top frame: `show(view)` draws a view of lib/mine.js there.
 * @param {number} tabId
 * @returns {(view: PanelView) => Promise<void>}
 */
function panelIn(tabId) {
  const labels = mineLabels(t);
  /** @type {Promise<void>|null} */
  let injected = null;
  return async (view) => {
    injected ??= (async () => {
      await ext.scripting.executeScript({ target: { tabId }, func: installMineView });
      await ext.scripting.executeScript({ target: { tabId }, func: installMinePanel });
    })();
    await injected;
    await ext.scripting.executeScript({
      target: { tabId },
      func: (shown) => /** @type {Required<import("./mine-panel.js").PanelScope>} */ (globalThis).omamoriMinePanel.show(shown),
      args: [{ ...view, labels }],
    });
  };
}

/**
 * @param {object} check
 * @param {chrome.contextMenus.OnClickData} check.info
 * @param {number} check.tabId
 * @param {string} check.src the address to read the image from (largestImageUrl)
 * @param {string} check.pageUrl
 * @param {Promise<boolean>|null} check.access the browser's answer when site access was asked for
 * @param {(body: object) => Promise<any>} check.verify
 */
async function checkOnPage({ info, tabId, src, pageUrl, access, verify }) {
  const show = panelIn(tabId);
  const found = { src: info.srcUrl ?? src };
  if (access) {
    const site = new URL(src).hostname;
    // activeTab lets the panel speak while the browser asks; if it cannot, the browser's question says enough.
    show({ state: "asking", sentence: t("mine_asking", [site]), found }).catch(() => {});
    if (!(await access)) {
      await show({ state: "denied", sentence: t("mine_denied", [site]), found });
      return;
    }
  }
  await show({ state: "checking", sentence: t("mine_checking"), found });
  try {
    const bytes = await readImage(src, tabId, info.frameId ?? 0);
    const result = await verify({ image: bytesToBase64(bytes), report: true, source: sourceOf(src, pageUrl) });
    await show({ ...mineView(result, t), found });
  } catch (error) {
    await show({ state: "failed", sentence: errorText(errorJson(error)), found });
  }
}

/** Longest address the host takes as where an image was found (docs/protocol.md, verify `source`). */
const MAX_SOURCE_TEXT = 4096;

/**
 * Where the image was found, for the evidence sheet: its web address (a data: or blob: address names nothing a
 * platform could look at, and can be megabytes long), the page's, and now.
 * @param {string} src
 * @param {string} pageUrl
 */
function sourceOf(src, pageUrl) {
  const shown = (/** @type {string} */ url) => (isWebAddress(url) && url.length <= MAX_SOURCE_TEXT ? url : undefined);
  return { url: shown(src), page_url: shown(pageUrl), seen_at: new Date().toISOString() };
}

/**
 * The image's bytes as the page shows it: web addresses (and data:) read here, with the site's cookies, as the
 * page loaded them; blob: and other addresses only the page can read, read in the image's frame.
 * @param {string} src
 * @param {number} tabId
 * @param {number} frameId
 * @returns {Promise<Uint8Array>}
 */
async function readImage(src, tabId, frameId) {
  let bytes;
  if (isWebAddress(src) || src.startsWith("data:")) {
    let response;
    try {
      response = await fetch(src, { credentials: "include" });
    } catch (error) {
      throw new CodedError("image_unreachable", null, { reason: error instanceof Error ? error.message : String(error) });
    }
    if (!response.ok) throw new CodedError("image_unreachable", null, { status: response.status });
    if (Number(response.headers.get("content-length")) > MAX_IMAGE_BYTES) throw new CodedError("check_too_large");
    bytes = new Uint8Array(await response.arrayBuffer());
  } else {
    const [injection] = await ext.scripting.executeScript({
      target: { tabId, frameIds: [frameId] },
      func: readInPage,
      args: [src, MAX_IMAGE_BYTES],
    });
    if (injection?.result === "too large") throw new CodedError("check_too_large");
    if (typeof injection?.result !== "string") throw new CodedError("image_unreachable");
    bytes = base64ToBytes(injection.result);
  }
  if (bytes.length > MAX_IMAGE_BYTES) throw new CodedError("check_too_large");
  return bytes;
}

/**
 * Runs in the page: the image at `src` as base64, "too large", or null when the page cannot read it either.
 * @param {string} src
 * @param {number} maxBytes
 * @returns {Promise<string|null>}
 */
async function readInPage(src, maxBytes) {
  try {
    const blob = await (await fetch(src)).blob();
    if (blob.size > maxBytes) return "too large";
    const dataUrl = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
    return dataUrl.slice(dataUrl.indexOf(",") + 1);
  } catch {
    return null;
  }
}
