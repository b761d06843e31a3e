// A fixture page in a happy-dom window, for tests of code that reads X's DOM.
import { readFileSync } from "node:fs";
import { Window } from "happy-dom";

const FIXTURES = new URL("./fixtures/", import.meta.url);

/**
 * @param {string} name file under tests/extension/fixtures/
 * @param {string} url the address the page pretends to be at
 * @returns {{window: Window, document: Document, close: () => Promise<void>}}
 */
export function loadFixture(name, url = "https://x.com/home") {
  const window = new Window({ url, settings: { disableJavaScriptEvaluation: true, disableCSSFileLoading: true } });
  window.document.write(readFileSync(new URL(name, FIXTURES), "utf8"));
  return { window, document: window.document, close: () => window.happyDOM.close() };
}
