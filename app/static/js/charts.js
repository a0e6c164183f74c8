// Dashboard charts: every <canvas data-chart data-series='{"labels": [...], "datasets": [...]}'> becomes a
// Chart.js chart. Panels arrive by HTMX (lazily and every minute), so we render after each swap as well.
(function () {
  "use strict";

  var COLOURS = ["#2454d6", "#c42b1c", "#11824a", "#a86300"];

  function datasetStyle(dataset, index) {
    var colour = COLOURS[index % COLOURS.length];
    dataset.borderColor = colour;
    dataset.backgroundColor = dataset.type === "bar" ? colour + "b3" : colour;
    dataset.borderWidth = dataset.type === "bar" ? 0 : 2;
    dataset.pointRadius = dataset.type === "line" ? 2 : undefined;
    dataset.spanGaps = true;
    dataset.order = dataset.type === "line" ? 0 : 1;
    return dataset;
  }

  function options(series) {
    var scales = {
      x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
      y: { beginAtZero: true, ticks: { precision: 0 } }
    };
    var hasPercent = series.datasets.some(function (d) { return d.yAxisID === "percent"; });
    if (hasPercent) {
      scales.percent = {
        position: "right", beginAtZero: true, suggestedMax: 100, grid: { drawOnChartArea: false },
        ticks: { callback: function (value) { return value + " %"; } }
      };
    }
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: series.datasets.length > 1, position: "bottom" } },
      scales: scales
    };
  }

  function render(canvas) {
    if (!window.Chart || window.Chart.getChart(canvas)) return;
    var series;
    try {
      series = JSON.parse(canvas.getAttribute("data-series"));
    } catch (error) {
      canvas.replaceWith(document.createTextNode("This chart's data could not be read."));
      return;
    }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: series.datasets.map(datasetStyle) },
      options: options(series)
    });
  }

  function renderAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("canvas[data-chart]").forEach(render);
  }

  // A chart whose canvas was swapped out must release its resize observer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !window.Chart) return;
    target.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  });
  document.addEventListener("htmx:afterSwap", function () { renderAll(document); });
  document.addEventListener("htmx:load", function (event) { renderAll(event.target); });
  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
})();
