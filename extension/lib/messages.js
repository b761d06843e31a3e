// The small vocabulary spoken between content scripts / extension pages and
// the background, and the checks the background makes before acting.
//
// Every message is {type, ...fields}. Each type says which senders may send it
// (a trust tier) and what its fields must look like; anything else is refused
// before a handler sees it. Only the background talks to the host.

/** Native messaging host name (the host manifest is jp.omamori.host.json). */
export const NATIVE_HOST_NAME = "jp.omamori.host";

/** Name of the long-lived port a content script opens per image to protect. */
export const PROTECT_PORT = "omamori.protect";

/** Name of the port the options page opens for one "What an AI sees" preview (progress comes back on it). */
export const PREVIEW_PORT = "omamori.preview";

/**
 * Largest original image sent to the host, in bytes. It travels as base64
 * (4/3 larger) inside one runtime message; Chromium caps those at 64 MiB and
 * the host takes images under 72 MiB (MAX_REQUEST_IMAGE, native_host/omamori/protocol/codec.py).
 */
export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

/** X and Bluesky take at most this many images in one post. */
export const MAX_IMAGES_PER_POST = 4;

/** MIME types the host protects; everything else (GIF, video) passes through. */
export const PROTECTABLE_TYPES = Object.freeze(["image/jpeg", "image/png", "image/webp"]);

/**
 * Where X's composers and settings live: x.com, the hosts a person still lands on (twitter.com, mobile.x.com), and
 * X Pro (pro.x.com, pro.twitter.com; the deck's own composer column). The manifest's host permissions and content
 * script matches are exactly these (tests/extension/manifest.test.mjs).
 */
export const X_ORIGINS = Object.freeze([
  "https://x.com",
  "https://twitter.com",
  "https://mobile.x.com",
  "https://pro.x.com",
  "https://pro.twitter.com",
]);

/**
 * The sites whose composers omamori protects: id (also its content script's Tier) -> the origins its content script
 * runs on and the host's output profile for the images attached there (docs/protocol.md `profile`). The popup has a
 * switch for each; the manifest's host permissions and content script matches are exactly these origins.
 */
export const SITES = Object.freeze({
  x: Object.freeze({ origins: X_ORIGINS, profile: "x" }),
  bluesky: Object.freeze({ origins: Object.freeze(["https://bsky.app"]), profile: "bluesky" }),
});

/**
 * X settings the content script reads and the background records. grokEdits is X's "Block modifications by Grok",
 * when X shows it on a settings page rather than in the composer (x-web.md §10: placement unconfirmed).
 */
export const X_SETTINGS = Object.freeze(["grokTraining", "grokPersonalization", "grokHistory", "grokEdits", "protectPosts"]);

/**
 * What the composer made of X's Grok-edit control for a post with images: blocked (omamori turned it on, or it was
 * on), by_setting (no control in the composer, X's account setting blocks them), not_found (no control anywhere).
 */
export const GROK_EDIT_OUTCOMES = Object.freeze(["blocked", "by_setting", "not_found"]);

/** What a checkbox showed: on (checked), off, or unavailable (greyed out). */
export const X_SETTING_STATES = Object.freeze(["on", "off", "unavailable"]);

/**
 * Error codes the extension itself produces (the host's codes come from
 * docs/protocol.md). Each has a sentence `error_<code>` in _locales.
 */
export const LOCAL_ERROR_CODES = Object.freeze([
  "host_not_installed", // connectNative: no manifest for jp.omamori.host
  "host_forbidden", // the host manifest does not list this extension
  "host_disconnected", // the host exited or the connection dropped mid-request
  "host_timeout", // no word from the host for too long
  "host_bad_reply", // a reply the extension cannot read (chunks, JSON)
  "server_unreachable", // WebSocket companion server not answering
  "server_address_needed", // WebSocket chosen without the server's address
  "server_unverified", // the program at the server's address did not prove the pairing key: nothing was sent to it
  "pairing_token_needed", // WebSocket chosen without a pairing token, and none was saved before
  "file_too_large", // over MAX_IMAGE_BYTES, not sent
  "file_unreadable", // the browser could not read the attached file
  "composer_gone", // the composer closed before the protected files were ready
  "cancelled", // the person pressed Cancel
  "extension_reloaded", // the extension was updated/reloaded under an open x.com page: only a page reload reconnects
  "request_refused", // the background refused a request (sender or fields): sending it again cannot help
  "too_many_images", // one tab sent more images than PROTECT_BUDGET allows: something other than a person is at work
  "x_login_needed", // "Check now" landed on X's login page
  "x_setting_not_found", // "Check now" did not find the Grok training checkbox in time
  "x_protect_setting_not_found", // "Check now" did not find the "Protect your posts" checkbox in time
  "image_unreachable", // "is this mine?": the image's bytes could not be read from its site or page
  "check_too_large", // "is this mine?": the image is over MAX_IMAGE_BYTES, not sent
]);

/**
 * Failures after which the original never goes to X by itself, whatever the on-failure setting says: a person must
 * choose. After a timeout the host may be tied up by a crafted file (every next image would time out too); a server
 * that could not prove itself may be another program in its place.
 */
export const ASK_A_PERSON_AFTER = Object.freeze(["host_timeout", "server_unverified"]);

/**
 * A failure with a stable code, as it travels in messages: {code, message,
 * details}. `message` is the host's own {en, ja} sentence when the host sent
 * one; the extension's codes are worded in _locales (`error_<code>`).
 */
export class CodedError extends Error {
  /**
   * @param {string} code a host code (docs/protocol.md) or one of LOCAL_ERROR_CODES
   * @param {{en?: string, ja?: string}|null} [hostMessage]
   * @param {object} [details]
   */
  constructor(code, hostMessage = null, details = {}) {
    super(code);
    this.name = "CodedError";
    this.code = code;
    this.hostMessage = hostMessage;
    this.details = details;
  }

  /** @returns {ErrorJson} */
  toJSON() {
    return { code: this.code, message: this.hostMessage, details: this.details };
  }
}

/** @typedef {{code: string, message: {en?: string, ja?: string}|null, details: object}} ErrorJson */

/**
 * Any thrown value as the {code, message, details} a message carries.
 * @param {unknown} error
 * @returns {ErrorJson}
 */
export function errorJson(error) {
  if (error instanceof CodedError) return error.toJSON();
  const reason = error instanceof Error ? error.message : String(error);
  return { code: "internal_error", message: null, details: { reason } };
}

/**
 * Images one x.com tab may send to be protected: X takes 4 per post, and an image takes seconds to a minute at the
 * host, so a person stays far below this; a page that found a way to send images does not get the host's time.
 */
export const PROTECT_BUDGET = Object.freeze({ limit: 20, windowMs: 60_000 });

/** At most `limit` requests per `windowMs` milliseconds for each key (a tab). */
export class RequestBudget {
  #limit;
  #windowMs;
  /** @type {Map<unknown, number[]>} key -> times of its requests within the window */
  #times = new Map();

  /** @param {{limit: number, windowMs: number}} budget */
  constructor({ limit, windowMs }) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /**
   * Count one request for `key` at `now` (ms); false, and not counted, when the key has used its budget.
   * @param {unknown} key
   * @param {number} now
   */
  take(key, now) {
    const recent = (this.#times.get(key) ?? []).filter((time) => now - time < this.#windowMs);
    const allowed = recent.length < this.#limit;
    if (allowed) recent.push(now);
    if (recent.length) this.#times.set(key, recent);
    else this.#times.delete(key);
    return allowed;
  }
}

/** Trust tiers: who is on the other end of a message. */
export const Tier = Object.freeze({
  PAGE: "page", // the extension's own popup/options pages
  X: "x", // a content script in a tab of one of X_ORIGINS
  BLUESKY: "bluesky", // a content script in an https://bsky.app tab
});

/** @typedef {(value: unknown) => boolean} FieldCheck */

/** @type {(v: unknown) => v is string} */
const isString = (v) => typeof v === "string";
/** @type {FieldCheck} */
const isBool = (v) => typeof v === "boolean";
/** @type {FieldCheck} */
const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
/** @type {(values: readonly unknown[]) => FieldCheck} */
const oneOf = (values) => (v) => values.includes(v);
/**
 * An image in base64, at most MAX_IMAGE_BYTES once decoded.
 * @type {FieldCheck}
 */
const isImageBase64 = (v) => isString(v) && v.length > 0 && v.length <= Math.ceil(MAX_IMAGE_BYTES / 3) * 4;

/**
 * type -> {from: tiers allowed to send it, fields: name -> check}.
 * Requests over the protect port use the same checks (`protect.start`).
 * @type {Readonly<Record<string, {from: string[], fields: Record<string, FieldCheck>}>>}
 */
export const MESSAGE_TYPES = Object.freeze({
  // content script (X_ORIGINS) -> background
  "xsetting.seen": {
    from: [Tier.X],
    fields: { setting: oneOf(X_SETTINGS), state: oneOf(X_SETTING_STATES) },
  },
  "grokedits.seen": { from: [Tier.X], fields: { outcome: oneOf(GROK_EDIT_OUTCOMES) } },
  "protect.start": {
    from: [Tier.X, Tier.BLUESKY], // the background picks the output profile from the tier, never from the message
    fields: {
      name: (/** @type {unknown} */ v) => isString(v) && v.length <= 255,
      mime: oneOf(PROTECTABLE_TYPES),
      image: isImageBase64,
    },
  },
  // popup / options -> background
  "cloak.preview.start": {
    // on the port PREVIEW_PORT only
    from: [Tier.PAGE],
    fields: {
      image: isImageBase64,
      strength: (/** @type {unknown} */ v) => typeof v === "number" && v >= 0.25 && v <= 2,
    },
  },
  "mine.check": {
    // "is this mine?" on an image dropped on the popup or the options page
    from: [Tier.PAGE],
    fields: { image: isImageBase64 },
  },
  "signature.preview": { from: [Tier.PAGE], fields: { options: isPlainObject } }, // the host's signature.preview
  "signature.fonts": {
    // the fonts that draw a signature text (the host's signature.fonts); without text, the saved one
    from: [Tier.PAGE],
    fields: { text: (/** @type {unknown} */ v) => v === undefined || (isString(v) && v.length <= 200) },
  },
  "status.get": { from: [Tier.PAGE], fields: {} },
  "pause.set": { from: [Tier.PAGE], fields: { paused: isBool } },
  "site.set": { from: [Tier.PAGE], fields: { site: oneOf(Object.keys(SITES)), enabled: isBool } },
  "xsettings.check": { from: [Tier.PAGE], fields: {} },
  "grok.open": { from: [Tier.PAGE], fields: {} },
  "settings.get": { from: [Tier.PAGE], fields: {} },
  "settings.set": { from: [Tier.PAGE], fields: { changes: isPlainObject } },
  "settings.reset": { from: [Tier.PAGE], fields: {} },
  "connection.get": { from: [Tier.PAGE], fields: {} },
  "connection.set": {
    from: [Tier.PAGE],
    fields: {
      kind: oneOf(["native", "websocket"]),
      server_url: (/** @type {unknown} */ v) => isString(v) && v.length <= 200, // the handler says what is wrong
      token: (/** @type {unknown} */ v) => isString(v) && v.length <= 256,
    },
  },
});

/**
 * @typedef {{state: string, seenAt: number}} SeenSetting an X setting as a settings page last showed it (epoch ms)
 * @typedef {{connected: true, version: string, cloak: boolean} | {connected: false, error: ErrorJson}} HostStatus
 * @typedef {object} Status what status.get answers
 * @property {HostStatus} host
 * @property {string} connection native or websocket
 * @property {boolean} paused
 * @property {{id: string, enabled: boolean, permitted: boolean}[]} sites
 * @property {number|null} protectedCount the host ledger's count, null without a host
 * @property {{id: string, state: string, reason: string|null}[]|null} checklist the host's checklist (its hello's
 *   `checklist`, as its `status` request answers), null without a host
 * @property {Record<string, SeenSetting|null>} xSettings by X_SETTINGS
 * @property {{block: boolean, lastPost: {outcome: string, seenAt: number}|null}} grokEdits
 */

/**
 * The companion server only ever listens on loopback (see the host's settings).
 * @param {unknown} value
 */
export function isLoopbackWebSocketUrl(value) {
  if (!isString(value)) return false;
  let url;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "ws:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) && url.port !== "";
}

/**
 * Which tier a runtime.MessageSender belongs to, or null for anyone else.
 * @param {{id?: string, url?: string, tab?: object, frameId?: number}|undefined} sender
 * @param {{extensionId: string, extensionOrigin: string}} self
 *   extensionOrigin: runtime.getURL("") (ends with "/").
 */
export function senderTier(sender, { extensionId, extensionOrigin }) {
  if (!sender || sender.id !== extensionId || !isString(sender.url)) return null;
  if (sender.url.startsWith(extensionOrigin)) return Tier.PAGE;
  let url;
  try {
    url = new URL(sender.url);
  } catch {
    return null;
  }
  if (!sender.tab) return null;
  // A site's id is its content script's tier.
  const site = Object.entries(SITES).find(([, { origins }]) => origins.includes(url.origin));
  return site ? site[0] : null;
}

/**
 * Check a message against the vocabulary and its sender's tier.
 * @param {any} message what a sender sent: anything at all
 * @param {string|null} tier senderTier's answer
 * @returns {string|null} why it is refused, or null when it is acceptable.
 */
export function refusal(message, tier) {
  if (!isPlainObject(message) || !isString(message.type)) return "not a message";
  const spec = Object.hasOwn(MESSAGE_TYPES, message.type) ? MESSAGE_TYPES[message.type] : null;
  if (!spec) return `unknown type ${message.type}`;
  if (tier === null || !spec.from.includes(tier)) return `${message.type} not accepted from ${tier ?? "an unknown sender"}`;
  for (const [name, check] of Object.entries(spec.fields)) {
    if (!check(message[name])) return `${message.type}: bad field ${name}`;
  }
  const extra = Object.keys(message).filter((k) => k !== "type" && !(k in spec.fields));
  if (extra.length) return `${message.type}: unexpected field ${extra[0]}`;
  return null;
}
