import { test } from "node:test";
import assert from "node:assert/strict";

import { isCovered, isWebAddress, largestImageUrl, mineView, sitePattern } from "../../extension/lib/mine.js";

test("X's images are read at their original size; other addresses as they are", () => {
  assert.equal(
    largestImageUrl("https://pbs.twimg.com/media/GabC?format=jpg&name=small"),
    "https://pbs.twimg.com/media/GabC?format=jpg&name=orig",
  );
  assert.equal(largestImageUrl("https://pbs.twimg.com/media/GabC.jpg"), "https://pbs.twimg.com/media/GabC.jpg?name=orig");
  assert.equal(largestImageUrl("https://i.pximg.net/a.jpg?name=small"), "https://i.pximg.net/a.jpg?name=small");
  assert.equal(largestImageUrl("blob:https://x.com/1234"), "blob:https://x.com/1234");
});

test("site access is asked per site, without ports, and only for web addresses", () => {
  assert.equal(sitePattern("https://cdn.example.org:8443/a/b.png?x=1"), "https://cdn.example.org/*");
  assert.ok(isWebAddress("http://localhost:8000/a.png") && !isWebAddress("data:image/png;base64,AA"));
});

test("granted patterns cover a site by exact pattern, wildcard host or scheme, or <all_urls>", () => {
  const site = "https://img.example.org/*";
  assert.ok(isCovered(site, ["https://img.example.org/*"]));
  assert.ok(isCovered(site, ["https://*.example.org/*"]) && isCovered(site, ["*://*/*"]) && isCovered(site, ["<all_urls>"]));
  assert.ok(!isCovered(site, ["http://img.example.org/*"]) && !isCovered(site, ["https://x.com/*"]) && !isCovered(site, []));
  assert.ok(!isCovered(site, ["https://*.ample.org/*"]), "a *.domain grant covers that domain's own subdomains only");
});

const t = (key, subs = []) => `${key}(${subs.join("|")})`;
const ledger = { time: "2026-11-21T10:00:00+00:00", thumbnail: "QUJD", exact: false, distance: 2 };

test("the verdict is said with its date and certainty words, the ledger's picture beside it", () => {
  const yours = mineView({ verdict: "yours", mark: { own: true, date: "2026-11-20" }, certainty: "very_high",
    ledger_match: { ...ledger, exact: true }, report: { html: "<p>", name: "s.html" } }, t);
  assert.equal(yours.sentence, "mine_yours(2026-11-20|mine_certainty_very_high())");
  assert.deepEqual(yours.sheet, { html: "<p>", name: "s.html" });
  assert.equal(yours.ledger.src, "data:image/jpeg;base64,QUJD");
  const looks = mineView({ verdict: "looks_like_yours", mark: null, certainty: null, ledger_match: { ...ledger, thumbnail: null } }, t);
  assert.equal(looks.sentence, "mine_looks_like(2026-11-21)");
  assert.equal(looks.ledger.src, null);
  assert.equal(looks.ledger.caption, "mine_ledger_caption(2026-11-21)");
  const none = mineView({ verdict: "not_found", mark: null, ledger_match: null }, t);
  assert.equal(none.sentence, "mine_not_found()");
  assert.equal(none.ledger, null);
  assert.equal(mineView({ verdict: "yours", mark: null, ledger_match: { ...ledger, exact: true } }, t).sentence,
    "mine_yours_exact(2026-11-21)");
});
