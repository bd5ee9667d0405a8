// The line editor: adds rows on demand and shows the totals the server computes
// for the lines as typed (nothing is saved until the form is).
import { attach } from "./picker.js";
import { enhanceTags } from "./tags.js";

export function enhanceLines(root) {
  for (const box of root.querySelectorAll("[data-lines]")) {
    const form = box.closest("form");
    const rows = box.querySelector("[data-line-rows]");
    const count = box.querySelector("[data-line-count]");
    const add = box.querySelector("[data-add-line]");
    if (!form || !rows || !count) {
      continue;
    }
    if (add) {
      add.hidden = false;
      add.addEventListener("click", () => addRow(rows, count));
    }
    let timer = 0;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(() => recompute(box, form), 300);
    };
    form.addEventListener("change", refresh);
  }
}

function addRow(rows, count) {
  const template = rows.querySelector("tr[data-line]:last-child");
  if (!template) {
    return;
  }
  const from = Number(count.value) - 1;
  const to = Number(count.value);
  const row = template.cloneNode(true);
  for (const el of row.querySelectorAll("[name],[id],[for]")) {
    for (const attr of ["name", "id", "for"]) {
      const v = el.getAttribute(attr);
      if (v) {
        el.setAttribute(attr, v.replace(`line-${from}-`, `line-${to}-`));
      }
    }
    if (el.matches("input:not([type=hidden]):not([type=checkbox]), textarea")) {
      el.value = "";
    }
    if (el.matches("input[type=hidden][data-picker-id]")) {
      el.value = "";
    }
  }
  for (const v of row.querySelectorAll("[data-line-value]")) {
    v.textContent = "";
  }
  // A tags cell starts empty: no option chosen, no product filled from, and
  // the chips and search box of the copied row are built again for this one.
  for (const wrap of row.querySelectorAll("[data-line-tags]")) {
    delete wrap.dataset.tagsReady;
    for (const built of wrap.querySelectorAll(":scope > ul.tags, :scope > .picker")) {
      built.remove();
    }
    for (const opt of wrap.querySelectorAll("option")) {
      opt.selected = false;
    }
    const product = wrap.querySelector("[data-tags-product]");
    if (product) {
      product.value = "";
    }
  }
  enhanceTags(row);
  for (const wrap of row.querySelectorAll("[data-picker]")) {
    delete wrap.dataset.pickerReady;
    wrap.querySelector(".picker-list")?.remove();
    attach(wrap);
  }
  rows.append(row);
  count.value = String(to + 1);
}

async function recompute(box, form) {
  const body = new URLSearchParams(new FormData(form));
  const response = await fetch(box.dataset.totalsUrl, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    return;
  }
  const answer = await response.json();
  for (const [name, value] of Object.entries(answer.totals || {})) {
    const cell = box.querySelector(`[data-total="${CSS.escape(name)}"]`);
    if (cell) {
      cell.textContent = value;
    }
  }
  let error = box.querySelector("[data-lines-error]");
  if (answer.error) {
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.dataset.linesError = "";
      error.setAttribute("role", "alert");
      box.prepend(error);
    }
    error.textContent = answer.error;
  } else if (error) {
    error.remove();
  }
  const live = [...box.querySelectorAll("tr[data-line]")].filter((tr) => {
    const del = tr.querySelector('input[type=checkbox][name$="-delete"]');
    if (del && del.checked) {
      return false;
    }
    const id = tr.querySelector('input[type=hidden][name$="-id"]');
    if (id && id.value) {
      return true;
    }
    return [...tr.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), select, textarea")].some((el) => el.value !== "");
  });
  (answer.line_tags || []).forEach((filled, i) => {
    const tr = live[i];
    if (!tr || !filled) {
      return;
    }
    for (const [name, cell] of Object.entries(filled)) {
      const select = tr.querySelector(`select[name$="-${CSS.escape(name)}"]`);
      const product = tr.querySelector(`input[name$="-${CSS.escape(name)}__product"]`);
      if (!select || !product) {
        continue;
      }
      const chosen = new Set(cell.tags.map((t) => String(t.id)));
      for (const opt of select.options) {
        opt.selected = chosen.has(opt.value);
      }
      for (const t of cell.tags) {
        if (![...select.options].some((o) => o.value === String(t.id))) {
          select.add(new Option(t.name, String(t.id), true, true)); // text, never markup
        }
      }
      product.value = cell.product;
      select.dispatchEvent(new Event("tags:refresh"));
    }
  });
  (answer.lines || []).forEach((line, i) => {
    const tr = live[i];
    if (!tr) {
      return;
    }
    for (const [name, value] of Object.entries(line)) {
      const cell = tr.querySelector(`[data-line-value$="-${CSS.escape(name)}"]`);
      if (cell) {
        cell.textContent = value;
      }
      // An empty cell of a new line shows what it will be saved with (the
      // product's price and description), unless the user is typing in it.
      const input = tr.querySelector(`input[type=text][name$="-${CSS.escape(name)}"], textarea[name$="-${CSS.escape(name)}"]`);
      const saved = tr.querySelector('input[type=hidden][name$="-id"]');
      if (input && input.value === "" && value !== "" && !(saved && saved.value) && document.activeElement !== input) {
        input.value = value;
      }
    }
  });
}
