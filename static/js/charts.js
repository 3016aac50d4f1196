/* Draws every dashboard chart. No inline script (strict CSP): each <canvas data-chart="ID"> reads
 * its figures from the <script type="application/json" id="ID"> element written by Django's
 * json_script filter. The same figures are in the table next to the chart.
 *
 * Spec: {"type": "line"|"bar"|"scatter", "labels": [...], "datasets": [{"label", "data"}],
 *        "sparkline": bool, "x_label": "...", "y_label": "...", "min": n, "max": n,
 *        "axes": [{"id", "title", "min", "max", "position": "left"|"right"}],
 *        "min_span": n (a sparkline's least y range, in its figure's units)}
 * "axes" (a score trend) replaces the one y axis: each dataset names its own by "yAxisID"
 * (scores -100..100, percentages 0..100, a 1-7 mean); only the first draws grid lines.
 * A dataset with "compare_of": i is dataset i's comparison (the organisation beside a team):
 * drawn in dataset i's colour, dashed. A bar chart's "reference": [indexes] are comparison
 * bars (the organisation's), drawn grey.
 * A null value is a suppressed or empty period: the line shows a gap, never a zero.
 */
(function () {
  "use strict";

  var PALETTE = ["#2f4b7c", "#d45087", "#ff7c43", "#665191", "#00a3a3", "#a05195", "#ffa600"];
  var REFERENCE = "#8c959dcc";  // a comparison bar (the organisation), apart from the palette

  function axis(title, min, max) {
    var options = { beginAtZero: false };
    if (title) { options.title = { display: true, text: title }; }
    if (typeof min === "number") { options.min = min; }
    if (typeof max === "number") { options.max = max; }
    return options;
  }

  function pointLabel(context) {
    var raw = context.raw || {};
    var name = raw.label ? raw.label + ": " : "";
    return name + context.parsed.x + ", " + context.parsed.y;
  }

  function sparkRange(spec) {
    var values = [];
    (spec.datasets || []).forEach(function (dataset) {
      (dataset.data || []).forEach(function (value) {
        if (typeof value === "number") { values.push(value); }
      });
    });
    var range = { display: false, bounds: "data" };
    if (!values.length) { return range; }
    var low = Math.min.apply(null, values), high = Math.max.apply(null, values);
    var half = (Math.max(high - low, spec.min_span || 0) / 2 || 1) * 1.1;  // a margin for the dots
    range.min = (low + high) / 2 - half;
    range.max = (low + high) / 2 + half;
    return range;
  }

  function config(spec) {
    var datasets = (spec.datasets || []).map(function (dataset, index) {
      // A comparison (the organisation beside a team) is its figure's colour, dashed.
      var compared = typeof dataset.compare_of === "number";
      var colour = PALETTE[(compared ? dataset.compare_of : index) % PALETTE.length];
      var drawn = Object.assign({
        borderColor: colour,
        backgroundColor: spec.type === "line" ? colour : colour + "cc",
        spanGaps: !!spec.sparkline,  // a sparkline joins its points; a full chart shows gaps
        // Monotone: the curve never overshoots between two periods (no peak nobody scored).
        cubicInterpolationMode: "monotone",
        pointRadius: spec.sparkline ? 1.5 : 3,
        borderWidth: 2
      }, compared ? { borderDash: [6, 4], pointStyle: "rectRot", borderWidth: 1.5 } : {}, dataset);
      delete drawn.compare_of;
      if (spec.type === "bar" && (spec.reference || []).length) {
        // Reference bars (the organisation beside a team's): grey, the rest in the colour.
        drawn.backgroundColor = (spec.labels || []).map(function (_, bar) {
          return spec.reference.indexOf(bar) >= 0 ? REFERENCE : drawn.backgroundColor;
        });
      }
      return drawn;
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: !spec.sparkline && datasets.length > 1 } },
      scales: {
        x: axis(spec.x_label),
        y: axis(spec.y_label, spec.min, spec.max)
      }
    };
    if (spec.axes) {
      delete options.scales.y;
      spec.axes.forEach(function (given, index) {
        options.scales[given.id] = Object.assign(axis(given.title, given.min, given.max), {
          type: "linear",
          axis: "y",
          position: given.position,
          grid: { drawOnChartArea: index === 0 }  // one set of grid lines, the first axis's
        });
      });
    }
    if (spec.type === "line" && (spec.labels || []).length === 1) {
      options.scales.x.offset = true;  // a lone period in the middle, not on the left edge
    }
    if (spec.type === "scatter") {
      options.plugins.tooltip = { callbacks: { label: pointLabel } };
      options.scales.x = Object.assign({ type: "linear", position: "bottom" }, axis(spec.x_label, spec.x_min, spec.x_max));
    }
    if (spec.sparkline) {
      options.plugins.tooltip = { enabled: false };
      // The data's own range, at least "min_span" wide: on a 40 px axis Chart.js's "nice"
      // ticks widened -0.7..19.7 to -100..100 and a fall of 20 points drew flat, while a bare
      // data range would draw 63.5 -> 63.7 as a leap.
      options.scales = { x: { display: false }, y: sparkRange(spec) };
    }
    if (spec.horizontal) {
      // Bars along x: the value range (min/max) belongs to the x axis.
      options.indexAxis = "y";
      options.scales = { x: axis(spec.y_label, spec.min, spec.max), y: axis(spec.x_label) };
    }
    return { type: spec.type, data: { labels: spec.labels || [], datasets: datasets }, options: options };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") { return; }
    try {
      new window.Chart(canvas, config(JSON.parse(source.textContent)));
    } catch (error) {
      // The table behind the chart still carries the figures.
      canvas.classList.add("d-none");
    }
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
