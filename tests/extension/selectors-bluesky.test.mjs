import { test } from "node:test";
import assert from "node:assert/strict";

import {
  BLUESKY_ORIGIN,
  BLUESKY_SELECTORS,
  composerOfDrop,
  composerOfPaste,
  composerOfPicker,
  openComposer,
} from "../../extension/content/selectors-bluesky.js";
import { siteOf } from "../../extension/content/sites.js";
import { SITES } from "../../extension/lib/messages.js";
import { loadFixture } from "./dom.mjs";

test("the table finds the composer, its editor and its media button in the fixture", async () => {
  const { document, close } = loadFixture("bsky.compose.html", "https://bsky.app/");
  try {
    const composer = openComposer(document);
    assert.equal(composer.dataset.testid, "composePostView");
    assert.ok(composer.querySelector(BLUESKY_SELECTORS.editor));
    assert.equal(composer.querySelector(BLUESKY_SELECTORS.mediaButton).getAttribute("aria-label"), "Add media to post");
  } finally {
    await close();
  }
});

test("the temporary picker on <body> belongs to the open composer; a picker in another dialog does not", async () => {
  const { document, close } = loadFixture("bsky.compose.html", "https://bsky.app/");
  try {
    const composer = openComposer(document);
    assert.equal(composerOfPicker(document.getElementById("expo-picker")), composer);
    assert.equal(composerOfPicker(document.getElementById("avatar-picker")), null);
    const text = document.querySelector('input[type="text"]');
    assert.equal(composerOfPicker(text), null);
    const videoOnly = document.getElementById("expo-picker");
    videoOnly.setAttribute("accept", "video/*");
    assert.equal(composerOfPicker(videoOnly), null);
  } finally {
    await close();
  }
});

test("drops count anywhere while a composer is open, pastes only in its editor", async () => {
  const { document, close } = loadFixture("bsky.compose.html", "https://bsky.app/");
  try {
    const composer = openComposer(document);
    assert.equal(composerOfDrop(document.querySelector('[data-testid="followingFeedPage"] p')), composer);
    assert.equal(composerOfPaste(document.querySelector(".ProseMirror p")), composer);
    assert.equal(composerOfPaste(document.querySelector('[data-testid="composerPublishBtn"]')), null);
    composer.closest('[role="dialog"]').remove();
    assert.equal(composerOfDrop(document.body), null);
    assert.equal(composerOfPicker(document.getElementById("expo-picker")), null);
  } finally {
    await close();
  }
});

test("each site of the vocabulary has a content-side table, and nothing else does", () => {
  for (const [id, { origins }] of Object.entries(SITES)) for (const origin of origins) assert.equal(siteOf(origin)?.id, id);
  assert.equal(siteOf(BLUESKY_ORIGIN).handsDropsToPicker, false);
  assert.equal(siteOf("https://example.com"), null);
});
