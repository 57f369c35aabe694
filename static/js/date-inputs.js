// A calendar on every date input (contracts/date_inputs.py), in the page's language: month and
// day names from the browser's Intl data for <html lang>, the date format from the server
// (sv and en 2026-12-31, da 31.12.2026), Monday first. Typing a date works without it.
(function () {
  "use strict";
  if (typeof AirDatepicker === "undefined") return;
  const lang = document.documentElement.lang || "en";

  function names(options, count, make) {
    const format = new Intl.DateTimeFormat(lang, options);
    return Array.from({length: count}, function (_, i) { return format.format(make(i)); });
  }
  const day = function (i) { return new Date(2024, 0, 7 + i); }; // 7 Jan 2024 is a Sunday
  const month = function (i) { return new Date(2024, i, 1); };
  const capital = function (text) { return text.charAt(0).toUpperCase() + text.slice(1); };
  const labels = document.body.dataset;

  function locale(dateFormat) {
    return {
      days: names({weekday: "long"}, 7, day),
      daysShort: names({weekday: "short"}, 7, day),
      daysMin: names({weekday: "short"}, 7, day).map(function (d) { return d.slice(0, 2); }),
      months: names({month: "long"}, 12, month).map(capital),
      monthsShort: names({month: "short"}, 12, month).map(capital),
      today: labels.dateToday || "Today",
      clear: labels.dateClear || "Clear",
      dateFormat: dateFormat,
      timeFormat: "HH:mm",
      firstDay: 1,
    };
  }

  // The date already in the input, read with the same format, so the calendar opens on it.
  function parse(text, dateFormat) {
    const parts = [];
    const pattern = dateFormat.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/yyyy|MM|dd/g, function (token) {
      parts.push(token);
      return token === "yyyy" ? "(\\d{4})" : "(\\d{1,2})";
    });
    const match = new RegExp("^" + pattern + "$").exec((text || "").trim());
    if (!match) return null;
    const value = {};
    parts.forEach(function (token, i) { value[token] = parseInt(match[i + 1], 10); });
    const date = new Date(value.yyyy, value.MM - 1, value.dd);
    return date.getMonth() === value.MM - 1 ? date : null;
  }

  function attach(root) {
    root.querySelectorAll("input[data-datepicker]:not([data-datepicker-ready])").forEach(function (input) {
      input.dataset.datepickerReady = "1";
      const dateFormat = input.dataset.dateFormat || "yyyy-MM-dd";
      const selected = parse(input.value, dateFormat);
      new AirDatepicker(input, {
        locale: locale(dateFormat),
        selectedDates: selected ? [selected] : [],
        autoClose: true,
        keyboardNav: true,
        buttons: ["today", "clear"],
        position: "bottom left",
        onSelect: function () { input.dispatchEvent(new Event("change", {bubbles: true})); },
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { attach(document); });
  document.addEventListener("htmx:afterSwap", function (event) { attach(event.target); });
})();
