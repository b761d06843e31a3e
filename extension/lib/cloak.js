// What the options page says about the cloak, decided from the background's
// status.get answer. Pure, so it is unit-tested without a browser.

/** The command that installs the cloak's model (docs/cloak.md). */
export const FETCH_COMMAND = "omamori models fetch";

/**
 * Whether the cloak can be offered, from status.get's `host`.
 * @param {{connected: boolean, cloak?: boolean}|null|undefined} host
 * @returns {"available"|"missing"|"no-host"} missing: the host answers but has no model
 *   (show FETCH_COMMAND); no-host: the host cannot be reached, so nobody knows
 */
export function cloakState(host) {
  if (!host?.connected) return "no-host";
  return host.cloak === true ? "available" : "missing";
}

/**
 * May a "What an AI sees" preview be started now? Only with the model at the host, and never while one is
 * running: the host works on one image at a time, and the page shows one preview.
 * @param {string} cloak the options page's cloak state (cloakState, or "checking" before the first answer)
 * @param {string} preview the preview form's state: idle, working, done or failed
 */
export function previewCanStart(cloak, preview) {
  return cloak === "available" && preview !== "working";
}

/**
 * The preview's progress as a whole percent (0-100). The host reports stages
 * decode (no fraction of its own), cloak (0-1, nearly all the time) and done.
 * @param {string} stage
 * @param {number} fraction 0-1
 */
export function previewPercent(stage, fraction) {
  if (stage === "done") return 100;
  if (stage !== "cloak") return 0;
  return Math.round(Math.min(1, Math.max(0, Number(fraction) || 0)) * 99);
}
