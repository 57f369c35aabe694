// Behaviour every page shares, bound by data attributes instead of inline handlers, so the
// Content-Security-Policy can forbid inline scripts (config/settings/base.py, CONTENT_SECURITY_POLICY).
// Delegated from the document, so it also works on content htmx swaps in.
(function () {
  "use strict";

  // <form data-confirm="Delete this rule?">: ask before submitting; a submit button's own
  // data-confirm (one form, several actions) asks instead.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const button = event.submitter;
    const question = button && button.dataset && button.dataset.confirm !== undefined
      ? button.dataset.confirm : form.dataset.confirm;
    if (question !== undefined && !window.confirm(question)) event.preventDefault();
  }, true);

  // <select data-autosubmit>: submit its form when the choice changes.
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field instanceof HTMLSelectElement && field.dataset.autosubmit !== undefined && field.form) {
      field.form.submit();
    }
  });

  // <input type="checkbox" data-check-all="invoice">: tick or clear every checkbox named
  // "invoice" on the page (the rows of a list chosen for one action).
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.dataset.checkAll) {
      document.querySelectorAll('input[type="checkbox"][name="' + box.dataset.checkAll + '"]')
        .forEach(function (other) { other.checked = box.checked; });
    }
  });
})();
