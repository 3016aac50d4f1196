/* The answer page: display logic, progress, character counters, error focus.
   Display logic mirrors responses/conditions.py (condition_met); keep the two in step.
   The server applies the same rules, so this file only makes the page pleasant. */
(function () {
  "use strict";

  var form = document.getElementById("answer-form");
  if (!form) {
    return;
  }
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));

  function key(value) {
    return String(value).trim().toLowerCase();
  }

  function valuesOf(fieldset) {
    var picked = [];
    fieldset.querySelectorAll("input, textarea").forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) {
          picked.push(el.value);
        }
      } else if (el.type !== "hidden" && el.value.trim() !== "") {
        picked.push(el.value.trim());
      }
    });
    return picked;
  }

  function conditionMet(condition, values) {
    var picked = values[condition.field];
    if (!picked || picked.length === 0) {
      return false;
    }
    if (condition.op === "lte" || condition.op === "gte") {
      var number = parseFloat(picked[0]);
      var limit = parseFloat(condition.value);
      if (isNaN(number) || isNaN(limit)) {
        return false;
      }
      return condition.op === "lte" ? number <= limit : number >= limit;
    }
    var wanted = (Array.isArray(condition.value) ? condition.value : [condition.value]).map(key);
    return picked.some(function (value) {
      return wanted.indexOf(key(value)) !== -1;
    });
  }

  var progress = document.getElementById("answer-progress");
  var progressText = document.getElementById("answer-progress-text");

  function update() {
    var values = {};
    var shown = 0;
    var answered = 0;
    questions.forEach(function (fieldset) {
      var raw = fieldset.getAttribute("data-condition");
      var visible = !raw || conditionMet(JSON.parse(raw), values);
      // A hidden question's inputs are disabled, so nothing of it is sent; what was typed stays
      // in place in case the question comes back.
      fieldset.hidden = !visible;
      fieldset.disabled = !visible;
      if (visible) {
        var picked = valuesOf(fieldset);
        values[fieldset.getAttribute("data-field")] = picked;
        shown += 1;
        if (picked.length) {
          answered += 1;
        }
      }
    });
    if (progress) {
      progress.max = Math.max(shown, 1);
      progress.value = answered;
    }
    if (progressText) {
      progressText.textContent = progressText.getAttribute("data-template")
        .replace("{answered}", answered).replace("{total}", shown);
    }
  }

  function updateCounter(counter) {
    var area = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!area) {
      return;
    }
    var max = parseInt(area.getAttribute("maxlength"), 10);
    var locale = document.documentElement.lang || undefined;
    counter.textContent = counter.getAttribute("data-template")
      .replace("{count}", area.value.length.toLocaleString(locale))
      .replace("{max}", max.toLocaleString(locale));
    counter.classList.toggle("text-danger", area.value.length >= max);
  }

  var counters = Array.prototype.slice.call(form.querySelectorAll("[data-counter-for]"));
  counters.forEach(function (counter) {
    var area = document.getElementById(counter.getAttribute("data-counter-for"));
    if (area) {
      area.addEventListener("input", function () {
        updateCounter(counter);
      });
      updateCounter(counter);
    }
  });

  form.addEventListener("change", update);
  form.addEventListener("input", update);

  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-preview")) {
      event.preventDefault();
      return;
    }
    // The server turns a second click into the same response; this only saves a round trip.
    var button = form.querySelector("button[type=submit]");
    if (button) {
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
    }
  });

  // Coming back with the browser's back button: the page may be restored with the button off.
  window.addEventListener("pageshow", function () {
    var button = form.querySelector("button[type=submit]");
    if (button && !form.getAttribute("data-preview")) {
      button.disabled = false;
    }
  });

  update();
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
