// Type-ahead choices (contracts/typeahead.py): the search box asks the page for matching rows
// (htmx puts them in the menu below it); picking one writes its id into the hidden input and
// tells the form it changed, as a <select> would. Bound by data attributes (no inline script,
// see the Content-Security-Policy) and delegated from the document.
(function () {
  "use strict";

  function menuOf(box) { return box.querySelector(".typeahead-menu"); }

  function close(box) {
    const menu = menuOf(box);
    if (menu) menu.innerHTML = "";
    const search = box.querySelector("[data-typeahead-search]");
    if (search) search.setAttribute("aria-expanded", "false");
  }

  // Typing in the search box is not a change of the filter: only a pick is.
  document.addEventListener("change", function (event) {
    if (event.target instanceof Element && event.target.matches("[data-typeahead-search]")) {
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    const choice = event.target instanceof Element && event.target.closest("[data-typeahead-choice]");
    document.querySelectorAll("[data-typeahead]").forEach(function (box) {
      if (!box.contains(event.target)) close(box);
    });
    if (!choice) return;
    const box = choice.closest("[data-typeahead]");
    const value = box.querySelector("[data-typeahead-value]");
    box.querySelector("[data-typeahead-search]").value = choice.dataset.typeaheadLabel;
    close(box);
    if (value.value !== choice.dataset.typeaheadChoice) {
      value.value = choice.dataset.typeaheadChoice;
      value.dispatchEvent(new Event("change", {bubbles: true}));
    }
  });

  document.addEventListener("keydown", function (event) {
    const box = event.target instanceof Element && event.target.closest("[data-typeahead]");
    if (!box) return;
    if (event.key === "Escape") {
      close(box);
    } else if (event.key === "ArrowDown" && event.target.matches("[data-typeahead-search]")) {
      const first = box.querySelector("[data-typeahead-choice]");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const box = event.target instanceof Element && event.target.closest("[data-typeahead]");
    if (box) box.querySelector("[data-typeahead-search]").setAttribute("aria-expanded", "true");
  });
})();
