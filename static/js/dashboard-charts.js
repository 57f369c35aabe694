// The dashboard's three charts, drawn from the JSON the page embeds (json_script "chart-data");
// series labels come from the canvas's data attributes, translated by the template.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const number = (values) => values.map(Number);
  // Axis and tooltip numbers in the page's language (sv 1 234, da 1.234), not the browser's.
  const locale = document.documentElement.lang || undefined;
  const options = {locale, plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true}}};
  const bar = {maxBarThickness: 48};
  new Chart(document.getElementById("revenue-chart"), {type: "bar", data: {labels: data.months, datasets: [{...bar, data: number(data.revenue), backgroundColor: "#2f6f9f"}]}, options});
  const plan = document.getElementById("plan-chart");
  if (plan) new Chart(plan, {type: "bar", data: {labels: data.plan_labels, datasets: [
    {...bar, label: plan.dataset.plannedLabel, data: number(data.plan_planned), backgroundColor: "#98a2b3"},
    {...bar, label: plan.dataset.invoicedLabel, data: number(data.plan_invoiced), backgroundColor: "#12b76a"}]},
    options: {locale, plugins: {legend: {display: true}}, scales: {y: {beginAtZero: true}}}});
  const wip = document.getElementById("wip-chart");
  if (wip) new Chart(wip, {type: "bar", data: {labels: data.wip_labels, datasets: [{...bar, data: number(data.wip_values), backgroundColor: "#f79009"}]}, options: {locale, plugins: {legend: {display: false}}, indexAxis: "y", scales: {x: {beginAtZero: true}}}});
})();
