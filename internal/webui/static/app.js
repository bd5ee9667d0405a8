// Progressive enhancement only: every page works without this file.
import { enhancePickers } from "./picker.js";
import { enhanceLines } from "./lines.js";
import { enhanceTags } from "./tags.js";
import { enhanceSelection, enhanceConfirm } from "./selection.js";

function start() {
  enhanceConfirm(document);
  enhanceSelection(document);
  enhancePickers(document);
  enhanceTags(document);
  enhanceLines(document);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
