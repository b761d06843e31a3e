// ESLint (flat config) for the extension, its unit tests and the build scripts: `npm run lint`.
// The recommended rules, a few that catch real mistakes in this code (loose equality, reassigned constants, rejected
// non-errors), and the layering of the extension: lib/ is below everything, the background and the content
// scripts never import each other.
import js from "@eslint/js";
import globals from "globals";

/** Imports a layer may not make: lib/ is shared by all; content/ runs in pages, the background in the worker. */
const layer = (...forbidden) => ({
  "no-restricted-imports": ["error", { patterns: forbidden.map((group) => ({ group: [group], message: "an upward or sideways import across the extension's layers" })) }],
});

export default [
  { ignores: ["extension/content/bundle.js", ".venv/**", "node_modules/**", "build/**", "dist/**"] },
  js.configs.recommended,
  {
    rules: {
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-throw-literal": "error",
      "prefer-promise-reject-errors": "error",
      "no-unused-vars": ["error", { caughtErrors: "none", ignoreRestSiblings: true }],
    },
  },
  {
    files: ["extension/**/*.js"],
    languageOptions: { globals: { ...globals.browser, ...globals.webextensions } },
    // The extension says what went wrong through warnings in its consoles, never chatter.
    rules: { "no-console": ["error", { allow: ["warn", "error"] }] },
  },
  // The fake X and Bluesky web apps the end-to-end tests serve: page scripts.
  { files: ["tests/e2e/fixtures/**/*.js"], languageOptions: { globals: globals.browser } },
  { files: ["extension/lib/**/*.js"], rules: layer("**/content/**", "**/background/**", "**/background.js", "**/popup/**", "**/options/**") },
  { files: ["extension/content/**/*.js"], rules: layer("**/background/**", "**/background.js", "**/popup/**", "**/options/**") },
  { files: ["extension/background.js", "extension/background/**/*.js"], rules: layer("**/content/**", "**/popup/**", "**/options/**") },
  { files: ["extension/popup/**/*.js", "extension/options/**/*.js"], rules: layer("**/content/**", "**/background/**", "**/background.js") },
  {
    files: ["tests/extension/**/*.mjs", "scripts/**/*.mjs", "eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
