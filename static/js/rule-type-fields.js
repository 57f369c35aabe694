// Billing rule form: only the terms of the chosen rule type are shown (unit price and units for
// unit of delivery, the fee for a fee rule, categories and caps for time and material...). The
// server clears the terms of other types when it saves (contracts.services.billing_rule_save),
// so a hidden field never keeps a value that does nothing.
(function () {
  "use strict";
  const form = document.querySelector("form[data-rule-type-fields]");
  if (!form) return;
  const fieldsByType = JSON.parse(form.dataset.ruleTypeFields);
  const specific = new Set(Object.values(fieldsByType).flat());
  const select = form.querySelector("select[name='rule_type']");
  if (!select) return;
  function update() {
    const shown = new Set(fieldsByType[select.value] || []);
    specific.forEach(function (name) {
      const wrapper = form.querySelector("[data-field='" + name + "']");
      if (wrapper) wrapper.hidden = !shown.has(name);
    });
  }
  select.addEventListener("change", update);
  update();
})();
