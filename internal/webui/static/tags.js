// Many2many tags: the form's multi-select stays the value that is submitted;
// with scripts, it is shown as chips with remove buttons and a search box that
// adds records found by the same endpoint as the many2one pickers.
import { attach as attachPicker } from "./picker.js";

export function enhanceTags(root) {
  for (const wrap of root.querySelectorAll("[data-tags]")) {
    attach(wrap);
  }
}

function attach(wrap) {
  const select = wrap.querySelector("[data-tags-select]");
  if (!select || wrap.dataset.tagsReady) {
    return;
  }
  wrap.dataset.tagsReady = "1";
  select.hidden = true;
  for (const hint of wrap.querySelectorAll("[data-tags-hint]")) {
    hint.hidden = true;
  }
  const chips = document.createElement("ul");
  chips.className = "tags";
  chips.setAttribute("aria-live", "polite");
  const picker = document.createElement("span");
  picker.className = "picker";
  picker.dataset.picker = wrap.dataset.tags;
  const chosen = document.createElement("input");
  chosen.type = "hidden";
  chosen.dataset.pickerId = "";
  const text = document.createElement("input");
  text.type = "text";
  text.autocomplete = "off";
  text.id = `${select.id}-search`;
  text.placeholder = "Add…";
  text.dataset.pickerText = "";
  picker.append(chosen, text);
  wrap.append(chips, picker);
  const label = wrap.parentElement && wrap.parentElement.querySelector(`label[for="${select.id}"]`);
  if (label) {
    label.htmlFor = text.id;
  }

  const render = () => {
    chips.replaceChildren();
    for (const opt of select.options) {
      if (!opt.selected) {
        continue;
      }
      const li = document.createElement("li");
      li.className = "tag";
      const name = document.createElement("span");
      name.textContent = opt.text; // text, never markup
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "tag-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${opt.text}`);
      remove.addEventListener("click", () => {
        opt.selected = false;
        render();
        text.focus();
        select.dispatchEvent(new Event("change", { bubbles: true })); // totals follow the taxes
      });
      li.append(name, remove);
      chips.append(li);
    }
  };
  picker.addEventListener("change", () => {
    const id = chosen.value;
    if (!id) {
      return;
    }
    let opt = Array.from(select.options).find((o) => o.value === id);
    if (!opt) {
      opt = new Option(text.value, id);
      select.add(opt);
    }
    opt.selected = true;
    chosen.value = "";
    text.value = "";
    render();
  });
  // The line editor changes the choice when a picked product fills the taxes.
  select.addEventListener("tags:refresh", render);
  attachPicker(picker);
  render();
}
