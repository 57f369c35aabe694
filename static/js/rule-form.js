// Funding rule form: the sum of the percentages as they are typed, with a warning over 100 %.
// The server checks the same and the database makes sure.
(function () {
  "use strict";
  const form = document.getElementById("rule-form");
  if (!form) return;
  function update() {
    let total = 0;
    form.querySelectorAll("input[name$='-percentage']").forEach(function (input) {
      const row = input.closest("tr");
      const removed = row.querySelector("input[name$='-DELETE']");
      const value = parseFloat((input.value || "0").replace(",", "."));
      if (!isNaN(value) && !(removed && removed.checked)) total += value;
    });
    document.getElementById("percentage-total").textContent = total.toLocaleString(document.documentElement.lang, {maximumFractionDigits: 2});
    document.getElementById("percentage-warning").hidden = total <= 100.0001;
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
