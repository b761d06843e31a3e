// What the settings-page features share (features/outline-grok-settings.js, features/outline-protect-posts.js):
// find each checkbox of a page by its label, outline it by what it means for the person's art, explain it in a
// short banner, and record what it shows with the time it was seen. It never changes a setting: showing is the job.

import { ext } from "../lib/browser.js";
import { t } from "../lib/i18n.js";
import { controlState, findSettingControls } from "./selectors.js";

/**
 * setting -> state -> tone of the outline: alert (red), ok (green), caution (amber), unknown (grey).
 * @type {Readonly<Record<string, Record<"on"|"off"|"unavailable", string>>>}
 */
const TONES = Object.freeze({
  grokTraining: { on: "alert", off: "ok", unavailable: "unknown" },
  grokPersonalization: { on: "caution", off: "ok", unavailable: "unknown" },
  grokHistory: { on: "caution", off: "ok", unavailable: "unknown" },
  // "Block modifications by Grok", when X puts it on a settings page: ticked is the safe state
  grokEdits: { on: "ok", off: "alert", unavailable: "unknown" },
  protectPosts: { on: "ok", off: "caution", unavailable: "unknown" },
});

const STYLE = `
[data-omamori-tone] { outline-offset: 2px; border-radius: 8px; }
[data-omamori-tone="alert"] { outline: 3px solid #d92d20; }
[data-omamori-tone="ok"] { outline: 3px solid #079455; }
[data-omamori-tone="caution"] { outline: 2px solid #dc6803; }
[data-omamori-tone="unknown"] { outline: 2px dashed #667085; }
[data-testid="omamori-banner"] { margin: 8px 16px 4px; padding: 8px 12px; border-radius: 8px; font: 14px/1.45 system-ui, "Hiragino Sans", "Noto Sans CJK JP", sans-serif; }
[data-testid="omamori-banner"][data-tone="alert"] { background: #fef3f2; color: #912018; border-left: 4px solid #d92d20; }
[data-testid="omamori-banner"][data-tone="ok"] { background: #ecfdf3; color: #05603a; border-left: 4px solid #079455; }
[data-testid="omamori-banner"][data-tone="caution"] { background: #fffaeb; color: #93370d; border-left: 4px solid #dc6803; }
[data-testid="omamori-banner"][data-tone="unknown"] { background: #f2f4f7; color: #344054; border-left: 4px dashed #667085; }
`;

/** Wait after a burst of DOM changes before reading the page again, in ms. */
const SETTLE_MS = 150;

/**
 * Outline `settings` wherever they show on this page, until `signal` aborts; then every outline and banner goes.
 * @param {string[]} settings X_SETTINGS (lib/messages.js) that the page carries
 * @param {string} featureId marks the style element the feature adds
 * @param {AbortSignal} signal
 */
export function outlineSettings(settings, featureId, signal) {
  const style = document.createElement("style");
  style.dataset.omamori = featureId;
  style.textContent = STYLE;
  (document.head ?? document.documentElement).append(style);

  /** setting -> {container, banner, state} as last shown */
  const shown = new Map();
  let timer = 0;

  const read = () => {
    timer = 0;
    for (const { setting, container } of shown.values()) {
      if (!container.isConnected) shown.delete(setting);
    }
    for (const { setting, control, container } of findSettingControls(document, settings)) {
      const state = controlState(control);
      const previous = shown.get(setting);
      if (previous?.container === container && previous.state === state && previous.banner.isConnected) continue;
      previous?.banner.remove();
      const tone = TONES[setting][state];
      container.setAttribute("data-omamori-tone", tone);
      const banner = document.createElement("div");
      banner.setAttribute("data-testid", "omamori-banner");
      banner.setAttribute("role", "note");
      Object.assign(banner.dataset, { setting, state, tone });
      banner.textContent = t(`banner_${setting}_${state}`);
      container.before(banner);
      shown.set(setting, { setting, container, banner, state });
      if (previous?.state !== state) {
        ext.runtime.sendMessage({ type: "xsetting.seen", setting, state }).catch(() => {
          // The background was being restarted; the next change or visit records it.
        });
      }
    }
  };
  const soon = () => {
    timer ||= setTimeout(read, SETTLE_MS);
  };

  // X renders settings after load and re-renders on every toggle; a click or
  // change on a checkbox flips `checked` without any DOM mutation, so listen too.
  const observer = new MutationObserver(soon);
  observer.observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["checked", "disabled", "aria-checked", "aria-disabled"],
  });
  document.addEventListener("change", soon, { capture: true, signal });
  document.addEventListener("click", soon, { capture: true, signal });
  soon();

  signal.addEventListener("abort", () => {
    observer.disconnect();
    clearTimeout(timer);
    for (const { container, banner } of shown.values()) {
      banner.remove();
      container.removeAttribute("data-omamori-tone");
    }
    style.remove();
  });
}
