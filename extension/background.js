// The background: the only part that talks to the host. It answers the
// message vocabulary of lib/messages.js after checking who is asking, runs
// protect requests one at a time, and keeps what the popup shows in
// extension storage.

import { ext } from "./lib/browser.js";
import { HostClient, nativeTransport, webSocketTransport } from "./lib/host.js";
import { loadPairingKey, savePairingKey } from "./lib/keystore.js";
import { pairingKey } from "./lib/pairing.js";
import { portAnswers } from "./lib/port-request.js";
import { Stored, StoredForSession } from "./lib/storage.js";
import { AUDIENCE_SETTINGS_URL, GROK_SETTINGS_URL, isLoginUrl } from "./lib/x-pages.js";
import {
  CodedError,
  NATIVE_HOST_NAME,
  PREVIEW_PORT,
  PROTECT_BUDGET,
  PROTECT_PORT,
  RequestBudget,
  SITES,
  X_SETTINGS,
  errorJson,
  isLoopbackWebSocketUrl,
  refusal,
  senderTier,
} from "./lib/messages.js";
import { startIsThisMine } from "./background/is-this-mine.js";

const SELF = { extensionId: ext.runtime.id, extensionOrigin: ext.runtime.getURL("") };

/** Longest silence from the host about one image (progress counts), in ms; the cloak can take a minute. */
const PROTECT_SILENCE_MS = 120_000;
/** Longest silence from the host about one image checked by "is this mine?", in ms (verify's own limit is 60 s). */
const VERIFY_SILENCE_MS = 90_000;
/** How long "Check now" waits for each settings page to show its checkbox, in ms. */
const CHECK_TIMEOUT_MS = 25_000;

// ---- the host connection -------------------------------------------------

/**
 * @typedef {{kind: "native"|"websocket", server_url: string}} Connection
 * @type {Promise<HostClient>|null}
 */
let hostPromise = null;

/**
 * The pairing token was once kept in storage.local, which content scripts can read: it becomes the pairing key in
 * the keystore, and the token is forgotten.
 */
async function moveTokenToKeystore() {
  const stored = (await ext.storage.local.get(Stored.connection))[Stored.connection];
  const connection = /** @type {(Connection & {token?: unknown})|undefined} */ (stored);
  if (typeof connection?.token !== "string") return;
  if (connection.token) await savePairingKey(await pairingKey(connection.token));
  const { token, ...kept } = connection;
  await ext.storage.local.set({ [Stored.connection]: kept });
}
const tokenMoved = moveTokenToKeystore();

/** The HostClient for the configured connection (created on first use). */
function host() {
  hostPromise ??= tokenMoved.then(async () => {
    const connection = /** @type {Connection|undefined} */ ((await ext.storage.local.get(Stored.connection))[Stored.connection]);
    const open =
      connection?.kind === "websocket"
        ? webSocketTransport(WebSocket, connection.server_url, await loadPairingKey())
        : nativeTransport(ext.runtime, NATIVE_HOST_NAME);
    return new HostClient(open);
  });
  return hostPromise;
}

async function resetHost() {
  const previous = hostPromise;
  hostPromise = null;
  (await previous)?.close();
}

/**
 * Connect and say hello; keeps the host's on_failure choice where content scripts read it.
 * @param {{fresh?: boolean}} [options] fresh: ask again even on a connection that said hello already
 */
async function hello(options) {
  const result = await (await host()).hello(options);
  await rememberSettings(result.settings);
  return result;
}

/** @param {{extension?: {on_failure?: string, block_grok_edits?: boolean}}|undefined} settings the host's */
async function rememberSettings(settings) {
  const onFailure = settings?.extension?.on_failure;
  if (onFailure) await ext.storage.local.set({ [Stored.onFailure]: onFailure });
  const blockGrokEdits = settings?.extension?.block_grok_edits;
  if (typeof blockGrokEdits === "boolean") await ext.storage.local.set({ [Stored.blockGrokEdits]: blockGrokEdits });
}

/**
 * Protect requests run one at a time: the host works on one image at a time anyway.
 * @type {Promise<unknown>}
 */
let protectLane = Promise.resolve();

/**
 * @template T
 * @param {() => Promise<T>} job
 * @returns {Promise<T>}
 */
function inProtectLane(job) {
  const run = protectLane.then(job);
  protectLane = run.catch(() => {});
  return run;
}

// ---- protecting images (one port per image) -------------------------------

/** protect.start per x.com tab (messages.js PROTECT_BUDGET). */
const protectBudget = new RequestBudget(PROTECT_BUDGET);

/**
 * The ports: name -> the one message that starts its work (MESSAGE_TYPES says who may send it) and the host request
 * that does the work; lib/port-request.js names the answers.
 * @type {Record<string, {start: string, budget?: RequestBudget,
 *   request: (message: any, tier: string) => [type: string, body: object]}>} message: checked by refusal()
 */
const PORTS = {
  [PROTECT_PORT]: {
    start: "protect.start",
    budget: protectBudget,
    // The output suits the site the image was attached on: the sender's tier, never a field of the message.
    request: ({ name, image }, tier) => ["protect", { image, name, profile: SITES[/** @type {keyof typeof SITES} */ (tier)].profile }],
  },
  [PREVIEW_PORT]: {
    // "What an AI sees" for the options page: the host's model's view of the picked image, clean and cloaked.
    start: "cloak.preview.start",
    request: ({ image, strength }) => ["cloak.preview", { image, options: { "cloak.strength": strength } }],
  },
};

ext.runtime.onConnect.addListener((port) => {
  const spec = Object.hasOwn(PORTS, port.name) ? PORTS[port.name] : null;
  const tier = senderTier(port.sender, SELF);
  if (!spec || tier === null) {
    port.disconnect(); // not a port of ours, or not a sender of ours: nothing to tell it
    return;
  }
  const controller = new AbortController();
  port.onDisconnect.addListener(() => controller.abort(new CodedError("cancelled")));
  const answer = portAnswers(port, controller.signal);
  const onFirstMessage = (/** @type {any} */ message) => {
    port.onMessage.removeListener(onFirstMessage);
    // refusal() checks the sender against who may send spec.start (MESSAGE_TYPES), so the port's sender too
    const why = refusal(message, tier) ?? (message.type !== spec.start ? `${message.type} on the ${port.name} port` : null);
    if (why) {
      console.warn(`omamori: refused on the ${port.name} port:`, why);
      // An answer, not a silent close: a close alone reads as a stopped worker, and the sender would try again.
      answer.failed(new CodedError("request_refused", null, { reason: why }).toJSON());
      port.disconnect();
      return;
    }
    if (spec.budget && !spec.budget.take(port.sender?.tab?.id, Date.now())) {
      answer.failed(new CodedError("too_many_images").toJSON());
      port.disconnect();
      return;
    }
    const [type, body] = spec.request(message, tier);
    requestForPort(answer, controller.signal, type, body);
  };
  port.onMessage.addListener(onFirstMessage);
});

/**
 * One host request for a port: its progress and its answer go back through `answer`. Requests run in the protect
 * lane (a preview is as heavy as protecting an image).
 * @param {ReturnType<typeof portAnswers>} answer
 * @param {AbortSignal} signal aborted when the port closes
 * @param {string} type
 * @param {object} body
 */
async function requestForPort(answer, signal, type, body) {
  try {
    const result = await inProtectLane(async () => {
      signal.throwIfAborted();
      await hello();
      const client = await host();
      return client.request(type, body, { timeoutMs: PROTECT_SILENCE_MS, signal, onProgress: answer.progress });
    });
    answer.done(result);
  } catch (error) {
    answer.failed(errorJson(error));
  }
}

// ---- "is this mine?" ---------------------------------------------------------

/**
 * One verify request (docs/protocol.md), for the context-menu check and for images dropped on our pages.
 * @param {object} body
 */
async function verifyImage(body) {
  await hello();
  return (await host()).request("verify", body, { timeoutMs: VERIFY_SILENCE_MS });
}

startIsThisMine({ verify: verifyImage });

// ---- the message vocabulary ------------------------------------------------

/**
 * Tabs opened by "Check now", waiting for their page to report a setting.
 * @type {Map<number, (setting: string, state: string) => void>}
 */
const checkWaiters = new Map();

/** What "Check now" reads, in this order, in one background tab; `missing` is the error when it never shows. */
const CHECKED_PAGES = Object.freeze([
  { url: GROK_SETTINGS_URL, setting: "grokTraining", missing: "x_setting_not_found" },
  { url: AUDIENCE_SETTINGS_URL, setting: "protectPosts", missing: "x_protect_setting_not_found" },
]);

/**
 * The state the page in tab `tabId` reports for `page.setting` (the content
 * script records it on the way, through xsetting.seen); with `load`, the tab
 * is sent to `page.url` first. Every other setting the page reports on the way
 * goes into `seen` (X's Grok-edit box may sit on either page).
 * @param {number} tabId
 * @param {(typeof CHECKED_PAGES)[number]} page
 * @param {{load: boolean, seen: Record<string, string>}} options
 * @returns {Promise<string>} on, off or unavailable
 */
function reportFromTab(tabId, page, { load, seen }) {
  return new Promise((resolve, reject) => {
    /** @template T @param {(value: T) => void} settle @param {T} value */
    const finish = (settle, value) => {
      clearTimeout(timer);
      checkWaiters.delete(tabId);
      ext.tabs.onUpdated.removeListener(onUpdated);
      settle(value);
    };
    const timer = setTimeout(() => finish(reject, new CodedError(page.missing)), CHECK_TIMEOUT_MS);
    /** @param {number} id @param {chrome.tabs.OnUpdatedInfo} change */
    const onUpdated = (id, change) => {
      if (id === tabId && change.url && isLoginUrl(change.url)) finish(reject, new CodedError("x_login_needed"));
    };
    ext.tabs.onUpdated.addListener(onUpdated);
    checkWaiters.set(tabId, (setting, state) => {
      seen[setting] = state;
      if (setting === page.setting) finish(resolve, state);
    });
    if (load) ext.tabs.update(tabId, { url: page.url }).catch((error) => finish(reject, error));
  });
}

/**
 * The one-shot messages: type -> handler. refusal() has checked the sender and every field against MESSAGE_TYPES
 * before a handler runs, so a handler takes the fields as that table describes them.
 * @type {Record<string, (message: {[field: string]: any}, sender: chrome.runtime.MessageSender) => Promise<object>>}
 */
const HANDLERS = {
  async "xsetting.seen"({ setting, state }, sender) {
    await ext.storage.local.set({ [Stored.xSetting(setting)]: { state, seenAt: Date.now() } });
    if (sender.tab?.id !== undefined) checkWaiters.get(sender.tab.id)?.(setting, state);
    return {};
  },

  /**
   * What the composer made of X's Grok-edit control for a post with images. Recorded for the popup; answers which
   * note the panel shows: "not found" becomes "blocked by your X setting" when X's settings page showed it on, and
   * is said once per browser session (null after that).
   */
  async "grokedits.seen"({ outcome }) {
    const setting = Stored.xSetting("grokEdits");
    const record = /** @type {import("./lib/messages.js").SeenSetting|undefined} */ ((await ext.storage.local.get(setting))[setting]);
    const recorded = outcome === "not_found" && record?.state === "on" ? "by_setting" : outcome;
    await ext.storage.local.set({ [Stored.grokEditsPost]: { outcome: recorded, seenAt: Date.now() } });
    if (recorded !== "not_found") return { note: recorded };
    const { [StoredForSession.grokEditsNotFoundTold]: told } = await ext.storage.session.get(StoredForSession.grokEditsNotFoundTold);
    if (told) return { note: null };
    await ext.storage.session.set({ [StoredForSession.grokEditsNotFoundTold]: true });
    return { note: "not_found" };
  },

  async "mine.check"({ image }) {
    return verifyImage({ image, report: true });
  },

  async "status.get"() {
    const keys = [Stored.paused, Stored.sitesOff, Stored.connection, Stored.blockGrokEdits, Stored.grokEditsPost, ...X_SETTINGS.map(Stored.xSetting)];
    const stored = await ext.storage.local.get(keys);
    let hostStatus;
    let protectedCount = null; // the host's ledger is the count (images protected by the CLI included)
    let checklist = null;
    try {
      const result = await hello({ fresh: true }); // the popup shows the count and the checklist as they are now
      hostStatus = { connected: true, version: result.version, cloak: Boolean(result.cloak?.available) };
      protectedCount = result.protected_count;
      checklist = result.checklist ?? null; // a host older than the hello that carries it: every item unknown
    } catch (error) {
      hostStatus = { connected: false, error: errorJson(error) };
    }
    return {
      host: hostStatus,
      connection: /** @type {Connection|undefined} */ (stored[Stored.connection])?.kind ?? "native",
      paused: stored[Stored.paused] === true,
      sites: await siteStates(/** @type {string[]|undefined} */ (stored[Stored.sitesOff])),
      protectedCount,
      checklist,
      xSettings: Object.fromEntries(X_SETTINGS.map((s) => [s, stored[Stored.xSetting(s)] ?? null])),
      grokEdits: { block: stored[Stored.blockGrokEdits] !== false, lastPost: stored[Stored.grokEditsPost] ?? null },
    };
  },

  async "pause.set"({ paused }) {
    await ext.storage.local.set({ [Stored.paused]: paused });
    await showPaused(paused);
    return { paused };
  },

  async "site.set"({ site, enabled }) {
    const stored = await ext.storage.local.get(Stored.sitesOff);
    const before = /** @type {string[]} */ (stored[Stored.sitesOff] ?? []);
    const sitesOff = Object.keys(SITES).filter((id) => (id === site ? !enabled : before.includes(id)));
    await ext.storage.local.set({ [Stored.sitesOff]: sitesOff });
    return { sites: await siteStates(sitesOff) };
  },

  async "xsettings.check"() {
    const tab = await ext.tabs.create({ url: CHECKED_PAGES[0].url, active: false });
    const tabId = /** @type {number} */ (tab.id); // a tab made by tabs.create has an id
    try {
      /** @type {Record<string, string>} */
      const seen = {};
      for (const [index, page] of CHECKED_PAGES.entries()) {
        // The first page is loading already; the next ones load in the same tab, one after the other.
        await reportFromTab(tabId, page, { load: index > 0, seen });
      }
      return seen;
    } finally {
      await ext.tabs.remove(tabId).catch(() => {});
    }
  },

  async "grok.open"() {
    await ext.tabs.create({ url: GROK_SETTINGS_URL, active: true });
    return {};
  },

  async "settings.get"() {
    await hello();
    const { settings, defaults } = await (await host()).request("settings.get", {});
    await rememberSettings(settings);
    return { settings, defaults };
  },

  // Drawn by the host on its sample picture with these settings over the saved ones; nothing is saved.
  async "signature.preview"({ options }) {
    await hello();
    return (await host()).request("signature.preview", { options });
  },

  async "signature.fonts"({ text }) {
    await hello();
    return (await host()).request("signature.fonts", text === undefined ? {} : { text });
  },

  async "settings.set"({ changes }) {
    await hello();
    const { settings } = await (await host()).request("settings.set", { changes });
    await rememberSettings(settings);
    return { settings };
  },

  // No hello first: a damaged settings file, which this replaces with the defaults, fails hello too.
  async "settings.reset"() {
    const { settings } = await (await host()).request("settings.reset", {});
    await rememberSettings(settings);
    return { settings };
  },

  // The token is never given back (a page shows only whether there is a pairing): the keystore holds its key.
  async "connection.get"() {
    await tokenMoved;
    const stored = await ext.storage.local.get(Stored.connection);
    const connection = /** @type {Connection|undefined} */ (stored[Stored.connection]);
    return { kind: "native", server_url: "", ...connection, paired: (await loadPairingKey()) !== null };
  },

  async "connection.set"({ kind, server_url, token }) {
    if (kind === "websocket" && !isLoopbackWebSocketUrl(server_url)) throw new CodedError("server_address_needed");
    await tokenMoved;
    if (token) await savePairingKey(await pairingKey(token));
    else if (kind === "websocket" && (await loadPairingKey()) === null) throw new CodedError("pairing_token_needed");
    const connection = { kind, server_url };
    await ext.storage.local.set({ [Stored.connection]: connection });
    await resetHost();
    return { ...connection, paired: (await loadPairingKey()) !== null };
  },
};

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Port-only types (protect.start, cloak.preview.start) pass the vocabulary but have no one-shot handler.
  const why = refusal(message, senderTier(sender, SELF)) ?? (Object.hasOwn(HANDLERS, message.type) ? null : "port only");
  if (why) {
    console.warn("omamori: refused message:", why);
    sendResponse({ ok: false, error: new CodedError("request_refused", null, { reason: why }).toJSON() });
    return false;
  }
  HANDLERS[message.type](message, sender).then(
    (result) => sendResponse({ ok: true, result }),
    (error) => sendResponse({ ok: false, error: errorJson(error) }),
  );
  return true; // the answer comes asynchronously
});

/**
 * Where omamori protects images: per site, switched on in the popup (`enabled`) and allowed by the browser to run
 * there (`permitted`: Firefox lets a person withhold an add-on's access to a site).
 * @param {string[]|undefined} sitesOff
 */
async function siteStates(sitesOff = []) {
  return Promise.all(
    Object.entries(SITES).map(async ([id, { origins }]) => ({
      id,
      enabled: !sitesOff.includes(id),
      permitted: await ext.permissions.contains({ origins: [`${origins[0]}/*`] }), // the site's main address
    })),
  );
}

// ---- the toolbar badge ------------------------------------------------------

/** @param {boolean} paused */
async function showPaused(paused) {
  await ext.action.setBadgeBackgroundColor({ color: "#6b7280" });
  await ext.action.setBadgeText({ text: paused ? ext.i18n.getMessage("badge_paused") : "" });
  await ext.action.setTitle({ title: ext.i18n.getMessage(paused ? "action_title_paused" : "action_title") });
}

ext.storage.local.get(Stored.paused).then(({ [Stored.paused]: paused }) => showPaused(paused === true));

// ---- the first-run page -------------------------------------------------------

/** The page that sets omamori up with a person; the options page links to it too. */
const WELCOME_PAGE = "welcome/welcome.html";

/** Opened once, when the extension is installed: not at an update, not again after a reinstall that kept storage. */
ext.runtime.onInstalled.addListener(async ({ reason }) => {
  if (reason !== "install") return;
  const { [Stored.welcomeShown]: shown } = await ext.storage.local.get(Stored.welcomeShown);
  if (shown) return;
  await ext.storage.local.set({ [Stored.welcomeShown]: true });
  await ext.tabs.create({ url: ext.runtime.getURL(WELCOME_PAGE) });
});
