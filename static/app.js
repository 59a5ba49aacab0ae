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
