// Every bsky.app selector omamori relies on, in one table beside X's (selectors.js). When Bluesky's web app
// changes, one line here changes; tests/extension/selectors-bluesky.test.mjs checks the table against the
// committed fixture modelled on bluesky-social/social-app (tests/extension/fixtures/README.md says what is taken
// from its source and what is invented).

export const BLUESKY_ORIGIN = "https://bsky.app";

/** CSS selectors for Bluesky's web composer (social-app renders React Native testIDs as data-testid). */
export const BLUESKY_SELECTORS = Object.freeze({
  /** The composer (Composer.tsx), in the composer dialog. */
  composer: '[data-testid="composePostView"]',
  /** The post editor: TipTap's ProseMirror element (text-input/TextInput.web.tsx). */
  editor: '.ProseMirror[contenteditable="true"]',
  /** "Add media to post" (SelectMediaButton.tsx, testID openMediaBtn; openGalleryBtn before 2025). */
  mediaButton: '[data-testid="openMediaBtn"], [data-testid="openGalleryBtn"]',
  /**
   * The picker: expo-image-picker makes a new input for every pick, appends it to <body>, clicks it and removes it
   * after its change event, so it is recognised by what it is, never by a fixed element.
   */
  picker: 'input[type="file"]',
  /** Any dialog: a picker that sits in one other than the composer's (profile editor) is not the composer's. */
  dialog: '[role="dialog"]',
});

/**
 * The open composer, or null. Several can be open (a reply over a quote): the last one is on top.
 * @param {Document} document
 * @returns {Element|null}
 */
export function openComposer(document) {
  const all = document.querySelectorAll(BLUESKY_SELECTORS.composer);
  return all.length ? all[all.length - 1] : null;
}

/**
 * The composer a file input belongs to: Bluesky's temporary picker accepts images and sits outside every other
 * dialog while a composer is open.
 * @param {HTMLInputElement} input
 * @returns {Element|null}
 */
export function composerOfPicker(input) {
  if (!input?.matches?.(BLUESKY_SELECTORS.picker) || !/image/.test(input.accept || "image/*")) return null;
  const composer = openComposer(input.ownerDocument);
  if (!composer) return null;
  const dialog = input.closest(BLUESKY_SELECTORS.dialog);
  return !dialog || dialog.contains(composer) ? composer : null;
}

/** Bluesky takes a drop of files anywhere on the page while a composer is open (TextInput.web.tsx: body listener). */
/** @param {EventTarget|null} target */
export function composerOfDrop(target) {
  const node = /** @type {Node|null} */ (target);
  const document = /** @type {Document|null} */ (node?.ownerDocument ?? node);
  return document?.querySelectorAll ? openComposer(document) : null;
}

/** A paste counts when it lands in a composer's editor. */
/** @param {EventTarget|null} target */
export function composerOfPaste(target) {
  const node = /** @type {Node|null} */ (target);
  const element = node?.nodeType === 1 ? /** @type {Element} */ (node) : node?.parentElement;
  const editor = element?.closest?.(BLUESKY_SELECTORS.editor);
  return editor?.closest(BLUESKY_SELECTORS.composer) ?? null;
}
