// Runs the content features on X (every host of X_ORIGINS) and Bluesky, and follows their in-page navigation.
//
// Each feature (a file in features/, or a folder when it is more than one thing; Refined GitHub style) exports `id`,
// `runsOn(url)`, `restartOnNavigation` and `init(signal)`; every listener and
// observer it makes hangs on `signal`, which is aborted when the page it was
// started for is left.

import * as composeProtect from "./features/compose-protect/index.js";
import * as cropCheck from "./features/crop-check.js";
import * as grokEdits from "./features/grok-edits.js";
import * as outlineGrokSettings from "./features/outline-grok-settings.js";
import * as outlineProtectPosts from "./features/outline-protect-posts.js";

const FEATURES = [composeProtect, cropCheck, grokEdits, outlineGrokSettings, outlineProtectPosts];

export function start() {
  /** @type {Map<string, AbortController>} */
  const running = new Map();
  /** @type {string|null} the address the features were last started for */
  let url = null;

  const follow = () => {
    if (location.href === url) return;
    url = location.href;
    for (const feature of FEATURES) {
      const wanted = feature.runsOn(url);
      const controller = running.get(feature.id);
      if (controller && (!wanted || feature.restartOnNavigation)) {
        controller.abort();
        running.delete(feature.id);
      }
      if (wanted && !running.has(feature.id)) {
        const fresh = new AbortController();
        running.set(feature.id, fresh);
        feature.init(fresh.signal);
      }
    }
  };

  follow();
  // X navigates with history.pushState, which an isolated content script
  // cannot hook; every navigation re-renders part of the page, so a DOM
  // mutation is the cue to compare the address (a string comparison).
  new MutationObserver(follow).observe(document, { childList: true, subtree: true });
  addEventListener("popstate", follow);
}
