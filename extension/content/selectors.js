// Every x.com selector and label text omamori relies on, in one place (the addresses of X's pages are in
// lib/x-pages.js, which the background shares).
// When X changes its markup or wording, one line here changes, and
// tests/extension/selectors.test.mjs checks the table against the committed
// fixtures in tests/extension/fixtures/ (modelled on X's pages; see the README
// there). Sources: shared/research/x-web.md.

/** CSS selectors for X's composer (x-web.md §1). */
export const SELECTORS = Object.freeze({
  /** The hidden picker behind "Add photos or video" (also used by the profile editor). */
  fileInput: 'input[type="file"][data-testid="fileInput"]',
  /** The post text editor: tweetTextarea_0 ... _n (one per post of a thread). */
  editor: '[data-testid^="tweetTextarea_"][role="textbox"], [data-testid^="tweetTextarea_"] [role="textbox"]',
  /** The composer's row of buttons (media, GIF, poll, emoji, post). */
  toolBar: '[data-testid="toolBar"]',
  /** Preview of the attached media, present once something is attached. */
  attachments: '[data-testid="attachments"]',
  /** Any text field: the search for a composer stops at the first one it meets. */
  textbox: '[role="textbox"], [contenteditable="true"], textarea, input[type="text"]',
  /** Where the search for a composer stops: a dialog, the main column, the layers root. */
  composerBoundary: '[role="dialog"], main, [role="main"], #layers, body',
  /**
   * Checkboxes on settings pages and in the composer: native inputs (x-web.md §8), ARIA checkboxes and switches
   * (`aria-checked`), and the checkable items of X's menus.
   */
  settingControl: 'input[type="checkbox"], [role="checkbox"], [role="switch"], [role="menuitemcheckbox"]',
  /** What a button opens: X's menus and dialogs are drawn in #layers above the page. */
  layer: '[role="menu"], [role="dialog"], [role="alertdialog"], [role="listbox"]',
  /** Buttons, for the ones that may open the menu holding the Grok-edit control. */
  button: 'button, [role="button"]',
});

/**
 * Label texts of the settings, one row per wording: [setting, language, the
 * label's beginning, where the wording comes from]. Matching is on the
 * normalized text (see normalizeLabel) and looks for the beginning anywhere
 * in the label, so a trailing "Learn more" or help text does not matter.
 * A new language or a new wording is one more row. Sources are those of
 * shared/research/x-web.md (section in brackets); "unconfirmed" marks a
 * wording no public capture of X's own strings shows.
 */
export const SETTING_LABELS = Object.freeze([
  // §6: X's en string bundle (abs.twimg.com …/i18n/en.*.js, 2025-), help.x.com
  ["grokTraining", "en", "Allow your public data as well as your interactions, inputs, and results with Grok and xAI to be used for training and fine-tuning", "X en bundle 2025- (§6)"],
  // §6: trustedreviews.com 2024-07-26
  ["grokTraining", "en", "Allow your posts as well as your interactions, inputs, and results with Grok to be used for training and fine-tuning", "trustedreviews.com 2024 (§6)"],
  // §6: news.mynavi.jp 2025-10-24, ASCII 2025-11-25
  ["grokTraining", "ja", "公開データに加えて、GrokおよびxAIでのやり取り、インプット、結果をトレーニングと調整に利用することを許可します", "news.mynavi.jp 2025 (§6)"],
  // §6: engrmemo.jp, sbapp.net (2024)
  ["grokTraining", "ja", "ポストに加えて、Grokでのやり取り、インプット、結果をトレーニングと調整に利用することを許可する", "engrmemo.jp 2024 (§6)"],
  // §6: X's en string bundle, help.x.com
  ["grokPersonalization", "en", "Allow X to personalize your experience with Grok", "X en bundle 2024- (§6)"],
  // §10: X's ja string bundle, 2025-07 build (DzikStar/X-SCRAPER i18n/ja.js): current builds end in 〜します
  ["grokPersonalization", "ja", "XによるGrokの動作のカスタマイズを許可します", "X ja bundle 2025-07 (§10)"],
  // §6: sbapp.net 2025-01 (older builds, 〜する)
  ["grokPersonalization", "ja", "XによるGrokの動作のカスタマイズを許可する", "sbapp.net 2025-01 (§6)"],
  // §6: X's en string bundle (2025-)
  ["grokHistory", "en", "Allow Grok to remember your conversation history", "X en bundle 2025- (§6)"],
  // §10: X's ja string bundle, 2025-07 build (DzikStar/X-SCRAPER i18n/ja.js)
  ["grokHistory", "ja", "会話履歴をGrokに保存する", "X ja bundle 2025-07 (§10)"],
  // §7: lifewire.com, lockdown-systems/cyd
  ["protectPosts", "en", "Protect your posts", "lifewire.com, cyd 2023- (§7)"],
  ["protectPosts", "en", "Protect your Tweets", "lifewire.com, before 2023 (§7)"],
  // §7: zinsoku.com/twitter-protect
  ["protectPosts", "ja", "ポストを非公開にする", "zinsoku.com 2023- (§7)"],
  ["protectPosts", "ja", "ツイートを非公開にする", "zinsoku.com, before 2023 (§7)"],
  // X's "block modifications by Grok" (per post, since about 2026-03): §10, strings in X's en bundle quoted by
  // sciencehub.live, quincynews.org, webpronews. Where the web shows it (composer, menu or settings) is unconfirmed.
  ["grokEdits", "en", "Block modifications by Grok", "X en bundle 2026-03 (§10)"],
  ["grokEdits", "en", "Prevent Grok from modifying this content", "X en bundle 2026-03 (§10)"],
  // ja: no capture of X's ja strings for it yet. Unconfirmed guesses in X's usual wording (変更 for "modify", as in
  // 「プロフィールを変更」; ブロック as in 「@さんをブロック」): replace them with X's own once seen.
  ["grokEdits", "ja", "Grokによる変更をブロック", "unconfirmed guess (§10)"],
  ["grokEdits", "ja", "Grokによる編集をブロック", "unconfirmed guess (§10)"],
  ["grokEdits", "ja", "Grokがこのコンテンツを変更できないようにする", "unconfirmed guess (§10)"],
]);

/**
 * Buttons of a composer that may open the menu or dialog holding the Grok-edit control, by their accessible name
 * (aria-label or text): [language, name, where it comes from]. Tried in this order, each opened and closed again
 * as a person would, only when the composer itself shows no such control. All unconfirmed: X's web placement of
 * the control is not known (x-web.md §10); a new place is one more row.
 */
export const GROK_EDIT_OPENERS = Object.freeze([
  // the attached image's own editor, where X keeps per-image choices such as the content warning (§1, unconfirmed)
  ["en", "Edit media", "unconfirmed guess (§10)"],
  ["ja", "メディアを編集", "unconfirmed guess (§10)"],
  // a per-post settings menu beside the Post button, as on iOS's upload screen (sciencehub.live, §10, unconfirmed)
  ["en", "Post settings", "unconfirmed guess (§10)"],
  ["ja", "ポストの設定", "unconfirmed guess (§10)"],
]);

/**
 * Buttons that keep what was chosen in a dialog (a dialog may drop its changes on Escape): [language, name, source].
 * A menu needs none: its items take effect when clicked.
 */
export const DIALOG_SAVE_BUTTONS = Object.freeze([
  // X's media editor and settings dialogs (x-web.md §1, unconfirmed for the Grok control's dialog)
  ["en", "Save", "X's media editor (§1)"],
  ["en", "Done", "X's dialogs (§1)"],
  ["ja", "保存", "X's media editor (§1)"],
  ["ja", "完了", "X's dialogs (§1)"],
]);

const NORMALIZED_OPENERS = GROK_EDIT_OPENERS.map(([, name]) => normalizeLabel(name));
const NORMALIZED_SAVES = DIALOG_SAVE_BUTTONS.map(([, name]) => normalizeLabel(name));

/**
 * The buttons in `root` whose accessible name is one of `names` (normalized), in the order of `names`.
 * @param {ParentNode} root
 * @param {string[]} names
 * @returns {HTMLElement[]}
 */
function buttonsNamed(root, names) {
  const buttons = /** @type {HTMLElement[]} */ ([...root.querySelectorAll(SELECTORS.button)]);
  const named = buttons.map((button) => ({
    button,
    name: normalizeLabel(button.getAttribute("aria-label") || button.textContent),
  }));
  return names.flatMap((wanted) => named.filter(({ name }) => name === wanted).map(({ button }) => button));
}

/**
 * The buttons in `root` that may open the Grok-edit control's menu or dialog, in the order of GROK_EDIT_OPENERS.
 * @param {ParentNode} root
 */
export const grokEditOpeners = (root) => buttonsNamed(root, NORMALIZED_OPENERS);

/**
 * The button that keeps a dialog's changes, or null.
 * @param {ParentNode} dialog
 */
export const dialogSaveButton = (dialog) => buttonsNamed(dialog, NORMALIZED_SAVES)[0] ?? null;

/**
 * Text as compared with SETTING_LABELS: Unicode NFKC (full-width Latin to
 * ASCII), curly apostrophes straightened, runs of white space collapsed, a
 * final 。 or . dropped, lower case.
 * @param {unknown} text
 */
export function normalizeLabel(text) {
  return String(text)
    .normalize("NFKC")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[。.]$/u, "")
    .toLowerCase();
}

const NORMALIZED_LABELS = SETTING_LABELS.map(([setting, , text]) => [setting, normalizeLabel(text)]);

/**
 * The setting whose label `text` contains, or null.
 * @param {unknown} text
 */
export function matchSetting(text) {
  const normalized = normalizeLabel(text);
  for (const [setting, label] of NORMALIZED_LABELS) {
    if (normalized.includes(label)) return setting;
  }
  return null;
}

/** How far up from a checkbox its label may sit (X nests a label about 4 levels up). */
const LABEL_SEARCH_DEPTH = 8;

/**
 * Text that labels a settings control: its own name (aria-label, or a menu
 * item's text), then aria-labelledby, then <label for>, then the smallest
 * ancestor that holds no other control.
 * @param {Element} control
 * @returns {{text: string, container: Element}|null} container: what to outline.
 */
function labelOf(control) {
  const document = control.ownerDocument;
  // A menu item or an ARIA switch may carry its own name (aria-label, or its text as a menu item does).
  const own = control.getAttribute("aria-label") || (control.tagName === "INPUT" ? "" : control.textContent);
  if (own && matchSetting(own)) return { text: own, container: control };
  const labelledBy = control.getAttribute("aria-labelledby");
  if (labelledBy) {
    const text = labelledBy
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" ");
    if (text.trim()) return { text, container: control.closest("label") ?? control.parentElement ?? control };
  }
  if (control.id) {
    const label = document.querySelector(`label[for="${control.id.replace(/["\\]/g, "\\$&")}"]`);
    if (label) return { text: label.textContent, container: label };
  }
  let element = control.parentElement;
  for (let depth = 0; element && depth < LABEL_SEARCH_DEPTH; depth += 1, element = element.parentElement) {
    if (element.querySelectorAll(SELECTORS.settingControl).length > 1) return null;
    if (matchSetting(element.textContent)) return { text: element.textContent, container: element };
  }
  return null;
}

/**
 * The settings controls on a page, found by their label text.
 * @param {ParentNode} root usually the document
 * @param {string[]} settings which settings to look for
 * @returns {{setting: string, control: HTMLElement, container: Element}[]}
 */
export function findSettingControls(root, settings) {
  /** @type {{setting: string, control: HTMLElement, container: Element}[]} */
  const found = [];
  for (const control of root.querySelectorAll(SELECTORS.settingControl)) {
    const label = labelOf(control);
    const setting = label && matchSetting(label.text);
    if (setting && settings.includes(setting) && !found.some((f) => f.setting === setting)) {
      found.push({ setting, control: /** @type {HTMLElement} */ (control), container: label.container });
    }
  }
  return found;
}

/**
 * What a control shows: "unavailable" when greyed out (X does this to the
 * Grok boxes of accounts without a birth date), else "on" or "off".
 * @param {Element} control a native checkbox or an ARIA one
 * @returns {"on"|"off"|"unavailable"}
 */
export function controlState(control) {
  const aria = (/** @type {string} */ name) => control.getAttribute(name) === "true";
  const input = /** @type {HTMLInputElement} */ (control); // disabled and checked are undefined on ARIA controls
  if (input.disabled || aria("aria-disabled")) return "unavailable";
  if (control.tagName === "INPUT") return input.checked ? "on" : "off";
  return aria("aria-checked") ? "on" : "off";
}

/**
 * A post editor, or a text box inside one (X has used Draft.js and Lexical).
 * @param {Element} textbox
 */
function isPostEditor(textbox) {
  return textbox.matches(SELECTORS.editor) || textbox.closest('[data-testid^="tweetTextarea_"]') !== null;
}

/**
 * The post composer around `element`: the smallest ancestor that holds a
 * post editor and X's media picker. On the way up, the first text box met
 * must be a post editor: the profile editor's pickers and the DM box meet
 * their own text fields first and stay untouched. The search stops at a
 * dialog or the main column so that a picker in a dialog is never paired
 * with the home timeline's composer behind it.
 * @param {EventTarget|null} element a node, usually an element
 * @returns {Element|null}
 */
export function composerOf(element) {
  const target = /** @type {Node|null} */ (element);
  let node = target?.nodeType === 1 ? /** @type {Element} */ (target) : target?.parentElement;
  let editorSeen = false;
  for (; node; node = node.parentElement) {
    if (!editorSeen) {
      const textboxes = node.matches(SELECTORS.textbox) ? [node] : [...node.querySelectorAll(SELECTORS.textbox)];
      if (textboxes.length && !textboxes.some(isPostEditor)) return null;
      editorSeen = textboxes.length > 0;
    }
    if (editorSeen && node.querySelector(SELECTORS.fileInput)) return node;
    if (node.matches(SELECTORS.composerBoundary)) return null;
  }
  return null;
}

/**
 * Does the composer show no attached media? X clears a composer in place once its post is sent (the same element
 * stays, its attachments go), as it does when the person removes every picture.
 * @param {Element} composer
 */
export function mediaCleared(composer) {
  return composer.querySelector(`${SELECTORS.attachments} > *`) === null;
}

/**
 * Is `element` X's media picker inside a post composer?
 * @param {Element|null} element
 */
export function isComposerFileInput(element) {
  return Boolean(element?.matches?.(SELECTORS.fileInput)) && composerOf(element) !== null;
}
