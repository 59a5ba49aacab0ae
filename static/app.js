// Progressive enhancement only: every page works without this file.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// Forms that can take a while (imports): say so, and keep a second click from sending again.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-busy")) return;
  var busy = form.querySelector(".busy");
  if (busy) busy.hidden = false;
  var button = form.querySelector("button[type=submit]");
  if (button) {
    // Disabled after the submission has started, so the button's value still goes.
    setTimeout(function () { button.disabled = true; }, 0);
  }
});

// The destination picker: a region, a type and a text narrow a long list of places. The
// controls stay hidden without this script; the whole grouped list still works then.
document.querySelectorAll("[data-filters]").forEach(function (box) {
  var select = document.getElementById(box.getAttribute("data-filters"));
  if (!select) return;
  var region = box.querySelector("[data-filter=region]");
  var type = box.querySelector("[data-filter=type]");
  var text = box.querySelector("[data-filter=text]");
  var count = box.querySelector("[data-filter-count]");
  var fold = function (s) {
    return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  };
  var apply = function () {
    var wanted = fold(text.value.trim());
    var shown = 0;
    select.querySelectorAll("optgroup").forEach(function (group) {
      var any = false;
      group.querySelectorAll("option").forEach(function (option) {
        var ok = (!region.value || option.dataset.region === region.value) &&
          (!type.value || option.dataset.type === type.value) &&
          (!wanted || fold(option.textContent).indexOf(wanted) !== -1);
        // The chosen place stays, so narrowing never silently changes the answer.
        if (option.selected) ok = true;
        option.hidden = !ok;
        option.disabled = !ok;
        if (ok) { any = true; shown += 1; }
      });
      group.hidden = !any;
    });
    count.textContent = count.getAttribute("data-filter-count").replace("%{n}", shown.toLocaleString(document.documentElement.lang));
  };
  [region, type].forEach(function (el) { el.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  box.hidden = false;
});

// Beside each shipment line: what the chosen origin holds of the chosen material.
document.querySelectorAll("form[data-holdings]").forEach(function (form) {
  var holdings = JSON.parse(form.getAttribute("data-holdings") || "{}");
  var origin = form.querySelector("[name=origin_id]");
  if (!origin) return;
  var show = function () {
    form.querySelectorAll("[data-line]").forEach(function (hint) {
      var material = form.querySelector("[name=line_material_" + hint.getAttribute("data-line") + "]");
      if (!origin.value || !material || !material.value) { hint.textContent = ""; return; }
      var held = (holdings[origin.value] || {})[material.value];
      hint.textContent = held ? form.getAttribute("data-holds").replace("%{n}", held) : form.getAttribute("data-holds-none");
    });
  };
  form.addEventListener("change", show);
  show();
});
