import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import {
  CodedError,
  MAX_IMAGE_BYTES,
  MESSAGE_TYPES,
  PROTECT_BUDGET,
  RequestBudget,
  SITES,
  Tier,
  errorJson,
  isLoopbackWebSocketUrl,
  refusal,
  senderTier,
} from "../../extension/lib/messages.js";

const SELF = { extensionId: "imdbebpigkcmdgfppgijigpaghgekjco", extensionOrigin: "chrome-extension://imdbebpigkcmdgfppgijigpaghgekjco/" };
const FIREFOX_SELF = { extensionId: "omamori@omamori.jp", extensionOrigin: "moz-extension://0d3c1f52-6f3e-4b4c-9a55-6f6d616d6f72/" };

test("senders: our pages, our content script on x.com, nobody else", () => {
  const popup = { id: SELF.extensionId, url: `${SELF.extensionOrigin}popup/popup.html` };
  const optionsTab = { ...popup, url: `${SELF.extensionOrigin}options/options.html`, tab: { id: 3 } };
  const content = { id: SELF.extensionId, url: "https://x.com/home", tab: { id: 7 }, frameId: 0 };
  assert.equal(senderTier(popup, SELF), Tier.PAGE);
  assert.equal(senderTier(optionsTab, SELF), Tier.PAGE);
  assert.equal(senderTier(content, SELF), Tier.X);
  assert.equal(
    senderTier({ id: FIREFOX_SELF.extensionId, url: `${FIREFOX_SELF.extensionOrigin}popup/popup.html` }, FIREFOX_SELF),
    Tier.PAGE,
  );
  // another extension, another site, a look-alike host, no tab, no URL
  assert.equal(senderTier({ ...popup, id: "otherextensionidaaaaaaaaaaaaaaaa" }, SELF), null);
  assert.equal(senderTier({ ...content, url: "https://example.com/" }, SELF), null);
  for (const url of ["https://pro.x.com/i/decks/1", "https://twitter.com/home", "https://mobile.x.com/home", "https://pro.twitter.com/"]) {
    assert.equal(senderTier({ ...content, url }, SELF), Tier.X, url);
  }
  for (const url of ["https://api.x.com/", "https://evil.x.com/", "https://pro.x.com.evil.example/"]) {
    assert.equal(senderTier({ ...content, url }, SELF), null, url);
  }
  assert.equal(senderTier({ ...content, url: "https://x.com.evil.example/" }, SELF), null);
  assert.equal(senderTier({ ...content, url: "http://x.com/home" }, SELF), null);
  assert.equal(senderTier({ ...content, tab: undefined }, SELF), null);
  assert.equal(senderTier({ id: SELF.extensionId }, SELF), null);
  assert.equal(senderTier(undefined, SELF), null);
});

test("each type is accepted only from its tier", () => {
  assert.equal(refusal({ type: "status.get" }, Tier.PAGE), null);
  assert.match(refusal({ type: "status.get" }, Tier.X), /not accepted from x/);
  assert.match(refusal({ type: "settings.set", changes: {} }, Tier.X), /not accepted/);
  assert.match(refusal({ type: "settings.reset" }, Tier.X), /not accepted/);
  assert.match(refusal({ type: "xsetting.seen", setting: "grokTraining", state: "on" }, Tier.PAGE), /not accepted/);
  assert.match(refusal({ type: "status.get" }, null), /unknown sender/);
});

const EXTENSION = fileURLToPath(new URL("../../extension/", import.meta.url));
const read = (path) => readFileSync(join(EXTENSION, path), "utf8");
const sources = (dir = EXTENSION) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".js") ? [relative(EXTENSION, join(dir, entry.name))] : [],
  );

test("the vocabulary is what the code speaks: each type is answered by the background and sent by a sender it accepts", () => {
  // The background answers a type with a one-shot handler (HANDLERS) or as the start of a port's work (PORTS).
  const background = read("background.js");
  const handlers = background.slice(background.indexOf("const HANDLERS = {"), background.indexOf("\n};\n", background.indexOf("const HANDLERS = {")));
  const answered = [
    ...[...handlers.matchAll(/^ {2}async "([^"]+)"\(/gm)].map(([, type]) => type),
    ...[...background.matchAll(/^ {4}start: "([^"]+)",$/gm)].map(([, type]) => type),
  ];
  assert.deepEqual(answered.toSorted(), Object.keys(MESSAGE_TYPES).toSorted(), "answered by the background = declared");

  // Everything else sends them: content scripts from a site's tier, the popup and the options page as pages.
  const sent = new Set();
  for (const path of sources()) {
    if (["background.js", "content/bundle.js", "lib/pairing.js"].includes(path)) continue; // pairing speaks to the server
    for (const [, type] of read(path).matchAll(/\btype: "([a-z]+(?:\.[a-z]+)+)"/g)) {
      sent.add(type);
      assert.ok(Object.hasOwn(MESSAGE_TYPES, type), `${path} sends ${type}, which the vocabulary does not declare`);
      const tiers = path.startsWith("content/") ? [Tier.X, Tier.BLUESKY] : [Tier.PAGE];
      assert.ok(tiers.some((tier) => MESSAGE_TYPES[type].from.includes(tier)), `${path} sends ${type}, refused from its tier`);
    }
  }
  assert.deepEqual([...sent].toSorted(), Object.keys(MESSAGE_TYPES).toSorted(), "sent by some part = declared");
});

test("fields are checked: types, enumerations, sizes, and nothing extra", () => {
  assert.equal(refusal({ type: "xsetting.seen", setting: "grokTraining", state: "unavailable" }, Tier.X), null);
  assert.match(refusal({ type: "xsetting.seen", setting: "grokTraining", state: "maybe" }, Tier.X), /bad field state/);
  assert.match(refusal({ type: "xsetting.seen", setting: "password", state: "on" }, Tier.X), /bad field setting/);
  assert.equal(refusal({ type: "grokedits.seen", outcome: "not_found" }, Tier.X), null);
  assert.match(refusal({ type: "grokedits.seen", outcome: "maybe" }, Tier.X), /bad field outcome/);
  assert.match(refusal({ type: "grokedits.seen", outcome: "blocked" }, Tier.PAGE), /not accepted from page/);
  assert.match(refusal({ type: "pause.set", paused: "yes" }, Tier.PAGE), /bad field paused/);
  assert.match(refusal({ type: "settings.set", changes: [] }, Tier.PAGE), /bad field changes/);
  assert.match(refusal({ type: "status.get", extra: 1 }, Tier.PAGE), /unexpected field extra/);
  assert.match(refusal({ type: "host.raw", payload: {} }, Tier.PAGE), /unknown type/);
  assert.match(refusal("status.get", Tier.PAGE), /not a message/);
  assert.match(refusal(null, Tier.PAGE), /not a message/);

  const image = { type: "protect.start", name: "a.png", mime: "image/png", image: "iVBORw0KGgo=" };
  assert.equal(refusal(image, Tier.X), null);
  assert.match(refusal({ ...image, mime: "image/gif" }, Tier.X), /bad field mime/);
  assert.match(refusal({ ...image, image: "" }, Tier.X), /bad field image/);
  assert.match(refusal({ ...image, name: "n".repeat(256) }, Tier.X), /bad field name/);
  const largest = "A".repeat(Math.ceil(MAX_IMAGE_BYTES / 3) * 4);
  assert.equal(refusal({ ...image, image: largest }, Tier.X), null, "the largest allowed image fits");
  assert.match(refusal({ ...image, image: largest + "AAAA" }, Tier.X), /bad field image/);

  const connection = { type: "connection.set", kind: "websocket", server_url: "ws://127.0.0.1:8765", token: "t" };
  assert.equal(refusal(connection, Tier.PAGE), null);
  assert.match(refusal({ ...connection, kind: "http" }, Tier.PAGE), /bad field kind/);
  assert.match(refusal({ ...connection, token: 5 }, Tier.PAGE), /bad field token/);
});

test("the companion server may only be on loopback", () => {
  for (const url of ["ws://127.0.0.1:8765", "ws://localhost:9000/", "ws://[::1]:8765"]) assert.ok(isLoopbackWebSocketUrl(url), url);
  for (const url of ["ws://192.168.1.2:8765", "wss://127.0.0.1:8765", "ws://127.0.0.1", "http://127.0.0.1:8765", "ws://x.com:80", "nonsense", 42]) {
    assert.ok(!isLoopbackWebSocketUrl(url), String(url));
  }
});

test("errors travel as {code, message, details}; anything unexpected is internal_error", () => {
  const hostSays = { en: "The image is damaged.", ja: "画像が壊れています。" };
  assert.deepEqual(errorJson(new CodedError("image_damaged", hostSays, { bytes: 3 })), {
    code: "image_damaged",
    message: hostSays,
    details: { bytes: 3 },
  });
  assert.deepEqual(errorJson(new CodedError("host_timeout")), { code: "host_timeout", message: null, details: {} });
  const bug = errorJson(new TypeError("x is undefined"));
  assert.equal(bug.code, "internal_error");
  assert.match(bug.details.reason, /x is undefined/);
});

test("request budget: each tab its own count, refused over the limit, counted again once the window passed", () => {
  const budget = new RequestBudget({ limit: 3, windowMs: 1000 });
  assert.deepEqual([0, 10, 20, 30].map((t) => budget.take("tab1", t)), [true, true, true, false]);
  assert.equal(budget.take("tab2", 30), true, "another tab has its own budget");
  assert.equal(budget.take("tab1", 999), false, "refusals are not counted, and the first three are still recent");
  assert.equal(budget.take("tab1", 1000), true, "the first request left the window");
  assert.equal(budget.take("tab1", 1001), false);
  // a person attaching four images a few times in a minute stays well inside the real budget
  const real = new RequestBudget(PROTECT_BUDGET);
  for (let i = 0; i < 12; i++) assert.equal(real.take(1, i * 4000), true);
});

test("Bluesky's content script is its own tier: it may protect images and do nothing else", () => {
  const bluesky = { id: SELF.extensionId, url: "https://bsky.app/profile/me", tab: { id: 9 }, frameId: 0 };
  assert.equal(senderTier(bluesky, SELF), Tier.BLUESKY);
  assert.equal(senderTier({ ...bluesky, url: "https://bsky.app.evil.example/" }, SELF), null);
  assert.equal(senderTier({ ...bluesky, url: "https://staging.bsky.app/" }, SELF), null);
  const image = { type: "protect.start", name: "a.png", mime: "image/png", image: "iVBORw0KGgo=" };
  assert.equal(refusal(image, Tier.BLUESKY), null);
  // The output profile is the background's choice (from the tier): a message cannot ask for another.
  assert.match(refusal({ ...image, profile: "web" }, Tier.BLUESKY), /unexpected field profile/);
  assert.match(refusal({ type: "xsetting.seen", setting: "grokTraining", state: "on" }, Tier.BLUESKY), /not accepted/);
  assert.match(refusal({ type: "site.set", site: "bluesky", enabled: false }, Tier.BLUESKY), /not accepted/);
  for (const [id, { origins }] of Object.entries(SITES)) {
    for (const origin of origins) assert.equal(senderTier({ ...bluesky, url: `${origin}/` }, SELF), id, "a site's id is its tier");
  }
});

test("a site is switched on or off from our pages only, and only a known one", () => {
  assert.equal(refusal({ type: "site.set", site: "bluesky", enabled: false }, Tier.PAGE), null);
  assert.match(refusal({ type: "site.set", site: "mastodon", enabled: false }, Tier.PAGE), /bad field site/);
  assert.match(refusal({ type: "site.set", site: "x", enabled: "no" }, Tier.PAGE), /bad field enabled/);
});
