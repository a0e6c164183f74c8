// Dashboard charts: every <canvas data-chart data-series='{"labels": [...], "datasets": [...]}'> becomes a
// Chart.js chart. Panels arrive by HTMX (lazily and every minute), so we render after each swap as well.
(function () {
  "use strict";

  var COLOURS = ["#2454d6", "#c42b1c", "#11824a", "#a86300"];

  // series.partial[i] is the share of bucket i inside the window (null for a whole one): a partial bar is
  // drawn lighter with an outline and a partial point hollow, so a short bucket never reads as a drop.
  function datasetStyle(series) {
    var partial = series.partial || [];
    return function (dataset, index) {
      var colour = COLOURS[index % COLOURS.length];
      var isBar = dataset.type === "bar";
      dataset.borderColor = colour;
      dataset.backgroundColor = partial.map(function (share) {
        if (isBar) return colour + (share === null ? "b3" : "40");
        return share === null ? colour : "#ffffff";
      });
      if (!partial.length) dataset.backgroundColor = isBar ? colour + "b3" : colour;
      dataset.borderWidth = isBar ? partial.map(function (share) { return share === null ? 0 : 1; }) : 2;
      dataset.pointRadius = isBar ? undefined : partial.map(function (share) { return share === null ? 2 : 4; });
      if (!isBar && !partial.length) dataset.pointRadius = 2;
      dataset.spanGaps = true;
      dataset.order = isBar ? 1 : 0;
      return dataset;
    };
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
      plugins: {
        legend: {
          display: series.datasets.length > 1,
          position: "bottom",
          // The legend shows each dataset's own colour, not the lighter one of a partial first bucket.
          labels: {
            generateLabels: function (chart) {
              var items = window.Chart.defaults.plugins.legend.labels.generateLabels(chart);
              items.forEach(function (item) {
                var dataset = chart.data.datasets[item.datasetIndex];
                item.fillStyle = dataset.type === "bar" ? dataset.borderColor + "b3" : dataset.borderColor;
                item.strokeStyle = dataset.borderColor;
                item.lineWidth = 0;
              });
              return items;
            }
          }
        },
        tooltip: {
          callbacks: {
            title: function (items) {
              if (!items.length) return "";
              var note = (series.notes || [])[items[0].dataIndex];
              return items[0].label + (note ? " (partial: " + note + ")" : "");
            }
          }
        }
      },
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
      data: { labels: series.labels, datasets: series.datasets.map(datasetStyle(series)) },
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
