// "Is this mine?": what the background, the popup and the options page share about checking an image found on
// the web — which address to read, which site access to ask for, and the host's verify answer as a person reads it.

/**
 * @typedef {object} VerifyResult the host's verify result (docs/protocol.md), as far as it is read here
 * @property {string} verdict yours, looks_like_yours, someone_else or not_found
 * @property {string} [certainty] very_high, high or moderate
 * @property {{own: boolean, date: string}|null} [mark]
 * @property {{time: string, thumbnail?: string|null}|null} [ledger_match]
 * @property {import("./mine-view.js").EvidenceSheet|null} [report]
 */

/** The context-menu entry's id (one entry, on images). */
export const MINE_MENU_ID = "omamori-is-this-mine";

/** X's image server: it serves a reduced copy unless asked for the original (`name=orig`). */
const X_IMAGE_HOST = "pbs.twimg.com";

/**
 * The address to read an image from: on pbs.twimg.com the original size, as a person opening the image in a new
 * tab would get it; any other address as it is.
 * @param {string} src
 */
export function largestImageUrl(src) {
  let url;
  try {
    url = new URL(src);
  } catch {
    return src;
  }
  if (url.hostname !== X_IMAGE_HOST) return src;
  url.searchParams.set("name", "orig");
  return url.href;
}

/**
 * Is `src` read from the web (and so needs site access), rather than from the page itself (data:, blob:)?
 * @param {string} src
 */
export function isWebAddress(src) {
  return /^https?:\/\//i.test(src);
}

/**
 * The match pattern that gives access to `src`'s site: `https://pbs.twimg.com/*` (match patterns carry no port).
 * @param {string} src an http(s) address
 */
export function sitePattern(src) {
  const url = new URL(src);
  return `${url.protocol}//${url.hostname}/*`;
}

/**
 * Does one of the `granted` match patterns (permissions.getAll().origins) cover `pattern` (a sitePattern)?
 * Covers: the same pattern, `<all_urls>`, a `*` scheme, a `*` host or a `*.domain` host.
 */
/**
 * @param {string} pattern
 * @param {string[]} granted
 */
export function isCovered(pattern, granted) {
  const [, scheme, host] = /^([a-z*]+):\/\/([^/]+)\//.exec(pattern) ?? [];
  return granted.some((grant) => {
    if (grant === "<all_urls>") return true;
    const [, grantScheme, grantHost] = /^([a-z*]+):\/\/([^/]+)\//.exec(grant) ?? [];
    if (!grantScheme) return false;
    const schemeOk = grantScheme === scheme || (grantScheme === "*" && /^https?$/.test(scheme));
    const hostOk = grantHost === "*" || grantHost === host || (grantHost.startsWith("*.") && (host === grantHost.slice(2) || host.endsWith(grantHost.slice(1))));
    return schemeOk && hostOk;
  });
}

/**
 * _locales keys of the certainty words, by the host's `certainty` (docs/protocol.md, verify).
 * @type {Readonly<Record<string, string>>}
 */
const CERTAINTY_KEYS = Object.freeze({
  very_high: "mine_certainty_very_high",
  high: "mine_certainty_high",
  moderate: "mine_certainty_moderate",
});

/**
 * The host's verify result as the panel shows it: the verdict, its sentence, the date to say, the ledger's
 * thumbnail (a data: URL or null) and the evidence sheet. `t(key, substitutions)` reads _locales.
 * @param {VerifyResult} result verify's result (docs/protocol.md), asked with report: true
 * @param {(key: string, substitutions?: string[]) => string} t
 * @returns {Omit<import("./mine-view.js").MineView, "labels"|"found">}
 */
export function mineView(result, t) {
  const match = result.ledger_match;
  const ledgerDate = match ? String(match.time).slice(0, 10) : "";
  let sentence;
  if (result.verdict === "yours" && result.mark?.own) {
    sentence = t("mine_yours", [result.mark.date, t(CERTAINTY_KEYS[String(result.certainty)] ?? "mine_certainty_moderate")]);
  } else if (result.verdict === "yours") {
    sentence = t("mine_yours_exact", [ledgerDate]);
  } else if (result.verdict === "looks_like_yours") {
    sentence = t("mine_looks_like", [ledgerDate]);
  } else if (result.verdict === "someone_else") {
    sentence = t("mine_someone_else");
  } else {
    sentence = t("mine_not_found");
  }
  return {
    state: "done",
    verdict: result.verdict,
    sentence,
    ledger: match
      ? {
          src: match.thumbnail ? `data:image/jpeg;base64,${match.thumbnail}` : null,
          caption: t("mine_ledger_caption", [ledgerDate]),
          missing: t("mine_no_thumbnail"),
        }
      : null,
    sheet: result.report ? { html: result.report.html, name: result.report.name } : null,
  };
}

/**
 * The fixed words of the panel (buttons, captions), read once by whoever renders it.
 * @param {(key: string) => string} t
 * @returns {import("./mine-view.js").MineLabels}
 */
export function mineLabels(t) {
  return {
    heading: t("mine_heading"),
    found: t("mine_found_caption"),
    save: t("mine_save"),
    saveHint: t("mine_save_hint"),
    close: t("mine_close"),
  };
}
