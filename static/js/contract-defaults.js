// New contract form: picking the customer fills the legal entity, currency, default tax group
// and payment terms from the customer (contracts.selectors.contract_defaults), except a field
// the clerk has already changed by hand.
(function () {
  "use strict";
  const form = document.querySelector("form[data-contract-defaults]");
  if (!form) return;
  const customer = form.querySelector("select[name='customer']");
  if (!customer) return;
  const names = ["legal_entity", "currency", "default_tax_group", "payment_terms"];
  const touched = new Set();
  names.forEach(function (name) {
    const field = form.elements.namedItem(name);
    if (field) field.addEventListener("change", function () { touched.add(name); });
  });
  customer.addEventListener("change", function () {
    if (!customer.value) return;
    const url = form.dataset.contractDefaults + "?customer=" + encodeURIComponent(customer.value);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (defaults) {
        names.forEach(function (name) {
          const field = form.elements.namedItem(name);
          if (!field || touched.has(name) || defaults[name] === undefined) return;
          field.value = String(defaults[name]);
          field.dispatchEvent(new Event("input", { bubbles: true }));
        });
      });
  });
})();
