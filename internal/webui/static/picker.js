// Search-as-you-type for many2one fields. Without scripts the typed name is
// resolved by the server; with them, a list of matches lets the user pick a record.
const DELAY_MS = 200;

export function enhancePickers(root) {
  for (const wrap of root.querySelectorAll("[data-picker]")) {
    attach(wrap);
  }
}

export function attach(wrap) {
  const text = wrap.querySelector("[data-picker-text]");
  const hidden = wrap.querySelector("[data-picker-id]");
  if (!text || !hidden || wrap.dataset.pickerReady) {
    return;
  }
  wrap.dataset.pickerReady = "1";
  const list = document.createElement("ul");
  list.className = "picker-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  list.id = `${text.id || hidden.name}-options`;
  wrap.append(list);
  text.setAttribute("role", "combobox");
  text.setAttribute("aria-autocomplete", "list");
  text.setAttribute("aria-controls", list.id);
  text.setAttribute("aria-expanded", "false");
  let timer = 0;
  let active = -1;
  let request = 0;

  const close = () => {
    list.hidden = true;
    active = -1;
    text.setAttribute("aria-expanded", "false");
  };
  const choose = (item) => {
    hidden.value = String(item.id);
    text.value = item.name;
    close();
    wrap.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const show = (items) => {
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.textContent = item.name; // text, never markup
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        choose(item);
      });
      list.append(li);
    }
    list.hidden = items.length === 0;
    text.setAttribute("aria-expanded", String(items.length > 0));
    list.items = items;
  };
  const search = async () => {
    const mine = ++request;
    const url = `${wrap.dataset.picker}?q=${encodeURIComponent(text.value)}`;
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok || mine !== request) {
      return;
    }
    show(await response.json());
  };
  text.addEventListener("input", () => {
    hidden.value = "";
    clearTimeout(timer);
    timer = setTimeout(search, DELAY_MS);
  });
  text.addEventListener("focus", () => {
    if (!hidden.value) {
      search();
    }
  });
  text.addEventListener("blur", () => setTimeout(close, 100));
  text.addEventListener("keydown", (e) => {
    const items = list.items || [];
    const options = list.querySelectorAll("li");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!items.length) {
        return;
      }
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
    } else if (e.key === "Enter" && !list.hidden && active >= 0) {
      e.preventDefault();
      choose(items[active]);
    } else if (e.key === "Escape") {
      close();
    }
  });
}
