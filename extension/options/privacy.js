// The privacy policy (PRIVACY.md, English and Japanese) as text: read here so that it is decoded as UTF-8, which a
// browser does not do for a .md file opened directly.

import { localizePage } from "../lib/i18n.js";

localizePage(document);
const response = await fetch("../PRIVACY.md");
/** @type {HTMLElement} */ (document.getElementById("policy")).textContent = await response.text();
